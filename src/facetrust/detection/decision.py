"""The decision rule: how a calibrated P(fake) becomes real / fake / uncertain, and where its threshold came from.

Face verdicts and video verdicts each have their own rule, built once from their model's card and changed only
by an explicit override (`--threshold` for faces, `--video-threshold` for videos, `--smallest-face` for the face
floor, `--noise-ceiling` for the grain ceiling, `--agree` for a second opinion before a photo's face is called fake),
so a record always says which threshold, floor and ceiling decided it and whether a person chose them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from facetrust.errors import FacetrustError
from facetrust.models.card import ModelCard

if TYPE_CHECKING:
    import numpy as np

Verdict = Literal["real", "fake", "uncertain"]
ThresholdSource = Literal["model", "override"]
DEFAULT_UNCERTAIN_BAND = 0.1
MAX_UNCERTAIN_BAND = 0.5
RECORD_DIGITS = 4  # thresholds and bands as records show them


@dataclass(frozen=True)
class DecisionRule:
    """fake at or above threshold + band, real below threshold - band, uncertain in between."""

    threshold: float
    uncertain_band: float = DEFAULT_UNCERTAIN_BAND
    source: ThresholdSource = "model"  # "model": chosen on the model's validation data; "override": by the user
    # faces whose box's shorter side is below this (input pixels) are `uncertain` whatever their P(fake): the
    # model's card names the smallest face it was shown to judge (docs/VERDICT_SCHEMA.md); None: no floor
    smallest_face: int | None = None
    floor_source: ThresholdSource = "model"  # "override": the user set the floor (0 for none), not the card
    # a face whose grain (facetrust.media.quality.noise_level) is over this cannot be called real, only uncertain:
    # grain hides fakes from the model (docs/VERDICT_SCHEMA.md, "Noisiest face judged"); None: no ceiling
    noise_ceiling: float | None = None
    ceiling_source: ThresholdSource = "model"  # "override": the user set the ceiling (0 for none), not the card
    # an analyst's option, never a card's: a face the model calls fake is `fake` only if a second opinion on it (a
    # routed model's soft branch) calls it fake too, else `uncertain` (docs/VERDICT_SCHEMA.md, "Agreement")
    agree: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise FacetrustError(f"threshold {self.threshold} is outside 0-1 (it is a P(fake))")
        if not 0.0 <= self.uncertain_band <= MAX_UNCERTAIN_BAND:
            raise FacetrustError(f"uncertain band {self.uncertain_band} is outside 0-{MAX_UNCERTAIN_BAND}")

    @classmethod
    def of_faces(cls, card: ModelCard, threshold: float | None = None,
                 uncertain_band: float = DEFAULT_UNCERTAIN_BAND) -> DecisionRule:
        """The rule of a detector's card (its threshold, unless another is given, and the smallest and noisiest face
        it judges) for verdicts on its faces, or on tracks of them."""
        return cls(card.threshold if threshold is None else threshold, uncertain_band,
                   smallest_face=card.smallest_face, noise_ceiling=card.noise_ceiling)

    def overridden(self, threshold: float | None = None, uncertain_band: float | None = None,
                   smallest_face: int | None = None, noise_ceiling: float | None = None,
                   agree: bool | None = None) -> DecisionRule:
        """This rule with what the user set; a threshold, face floor or grain ceiling they set is marked as theirs
        (`smallest_face` 0: judge every face, however small; `noise_ceiling` 0: call faces real however grainy)."""
        rule = self if uncertain_band is None else replace(self, uncertain_band=uncertain_band)
        if agree is not None:
            rule = replace(rule, agree=agree)
        if smallest_face is not None:
            if smallest_face < 0:
                raise FacetrustError(f"smallest face {smallest_face} px: use 0 (judge every face) or a face size")
            rule = replace(rule, smallest_face=smallest_face or None, floor_source="override")
        if noise_ceiling is not None:
            if noise_ceiling < 0:
                raise FacetrustError(f"noise ceiling {noise_ceiling}: use 0 (no ceiling) or a grain level (sigma "
                                     "of 255, as faces[].noise_level reports it)")
            rule = replace(rule, noise_ceiling=noise_ceiling or None, ceiling_source="override")
        return rule if threshold is None else replace(rule, threshold=threshold, source="override")

    def too_small(self, face_side: float | None) -> bool:
        return self.smallest_face is not None and face_side is not None and face_side < self.smallest_face

    def accuses(self, p_fake: float | np.ndarray) -> bool | np.ndarray:
        """Whether this P(fake) (or each of an array of them) is on the fake side of the rule (at or above the
        threshold plus the band)."""
        return p_fake >= self.threshold + self.uncertain_band

    def too_grainy(self, noise: float | None) -> bool:
        return self.noise_ceiling is not None and noise is not None and noise > self.noise_ceiling

    def verdict(self, p_fake: float, face_side: float | None = None, noise: float | None = None,
                second: float | None = None) -> Verdict:
        """The verdict on a calibrated P(fake); `face_side`, the face box's shorter side in input pixels, makes a
        face smaller than the floor `uncertain`; `noise`, the face's grain, makes a face over the ceiling that
        would be `real` `uncertain` (a fake verdict stands: grain hides fakes, it does not make them); `second`, a
        second opinion's P(fake), makes a face that would be `fake` `uncertain` unless it is on the fake side too
        (it can withhold an accusation, never clear a face)."""
        if self.too_small(face_side):
            return "uncertain"
        if self.accuses(p_fake):
            return "fake" if second is None or self.accuses(second) else "uncertain"
        if p_fake < self.threshold - self.uncertain_band and not self.too_grainy(noise):
            return "real"
        return "uncertain"

    def to_dict(self) -> dict:
        return {"threshold": round(self.threshold, RECORD_DIGITS),
                "uncertain_band": round(self.uncertain_band, RECORD_DIGITS), "threshold_source": self.source}
