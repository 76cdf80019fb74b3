"""A detector made of two detectors, each face sent to the one that can judge it: sharp faces to one, soft
(blurred) faces to one trained for them (docs/DETECTOR.md, "Candidate R").

The bundled pair learnt that smooth faces are fake and calls most blurred real faces fake; a pair trained with
heavy blur does not, but costs clean accuracy. Routing by the face's own sharpness before any network runs keeps
each pair where it is right, at one pair's cost per face. A routed model is a folder with its card (`architecture`
"routed": the floor and the two subfolders) and the two detectors' folders inside it; `load_model` loads it as one
model with one temperature and threshold, fitted on validation like any detector's. An optional third detector
(`second`) gives sharp faces a second opinion: such a face is as fake as the less suspicious of the two says
(docs/DETECTOR.md, "Candidate Z": photos re-coded as video stills fool the sharp branch, not a blur-trained one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import cv2
import numpy as np

from facetrust.errors import FacetrustError
from facetrust.media.quality import noise_level, sharpness
from facetrust.models.card import ROUTED, ModelCard
from facetrust.models.checkpoint import LoadedModel
from facetrust.models.inference import sigmoid

if TYPE_CHECKING:
    from torch import nn

SHARP, SOFT, SECOND = "sharp", "soft", "second"  # the subfolders of a routed model (second: optional)
GRAINY = "grainy"  # evidence key of a face judged by the soft branch after smoothing, for its grain
Result = TypeVar("Result")
# the card's `sharpness` option: where `sharpness` is read, as its `skip_frame` argument
SHARPNESS_READINGS = {"centre": False, "photo": True}
SMOOTHING_SIGMA = 2.0  # px at the crop: a grainy face is blurred this much before the soft branch judges it


def check_branches(sharp: ModelCard, soft: ModelCard) -> None:
    """Both branches must be detectors of the same face crop: the scanner crops once."""
    for card in (sharp, soft):
        if card.task != "detector" or card.architecture == ROUTED:
            raise FacetrustError(f"{card.name}: a routed model's branches are detectors, not {card.architecture} "
                                 f"{card.task} models")
    if sharp.faces != soft.faces:
        raise FacetrustError(f"{sharp.name} and {soft.name} differ in faces: a routed model crops each face once, so "
                             "both branches must crop alike (each resizes, normalises and views the crop its own way)")


@dataclass
class RoutedModel(LoadedModel):
    """`LoadedModel`'s interface over two loaded detectors: a face whose `sharpness` is under `floor` is scored
    by `soft`, and with a `noise_ceiling` so is a face whose `noise_level` is over it, smoothed first (grain hides
    fakes from the sharp branch); any other face by `sharp`. Each branch gives its calibrated logit (its own
    temperature applied), and the routed card's temperature and threshold act on those."""

    sharp: LoadedModel | None = None
    soft: LoadedModel | None = None
    floor: float = 0.0
    noise_ceiling: float | None = None
    skip_frame: bool = False  # read `sharpness` on the photo's pixels only (card option sharpness: photo)
    second: LoadedModel | None = None  # caps a sharp face's logit: the smaller of the two calibrated logits counts

    def routes(self, crops: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Which crops go to the soft branch, and which of those because they are over the noise ceiling."""
        grainy = np.zeros(len(crops), dtype=bool) if self.noise_ceiling is None else np.array(
            [noise_level(crop) > self.noise_ceiling for crop in crops], dtype=bool)
        soft = np.array([sharpness(crop, self.skip_frame) < self.floor for crop in crops], dtype=bool)
        return soft | grainy, grainy

    def per_route(self, crops: Sequence[np.ndarray], run: Callable[[LoadedModel, list], Sequence[Result]],
                  routes: tuple[np.ndarray, np.ndarray] | None = None) -> list[Result]:
        """`run(branch, its crops)` for each branch (grainy crops smoothed for the soft one), the results put back
        in the crops' order; `routes`, if the caller has read them already."""
        soft, grainy = routes if routes is not None else self.routes(crops)
        shown = _as_shown(crops, grainy)
        results: list = [None] * len(crops)
        for branch, chosen in ((self.sharp, ~soft), (self.soft, soft)):
            rows = np.flatnonzero(chosen)
            if len(rows):
                for row, result in zip(rows, run(branch, [shown[i] for i in rows]), strict=True):
                    results[row] = result
        return results

    def logits(self, crops: list, encodings: np.ndarray | None = None) -> np.ndarray:
        routes = self.routes(crops)
        scores = self.per_route(crops, _calibrated_logits, routes)
        return self._second_opinion(crops, np.asarray(scores, dtype=np.float32), routes[0])

    def _second_opinion(self, crops: list, logits: np.ndarray, soft: np.ndarray) -> np.ndarray:
        """With a `second` detector, each sharp face's (not `soft`) logit capped by that detector's calibrated logit."""
        if self.second is None:
            return logits
        rows = np.flatnonzero(~soft)
        if len(rows):
            logits[rows] = np.minimum(logits[rows], _calibrated_logits(self.second, [crops[i] for i in rows]))
        return logits

    def soft_opinion(self, crops: list) -> np.ndarray:
        """The soft branch's P(fake) for these crops, through the routed card's temperature as a face routed soft
        is scored: the second opinion asked before a sharp face is called fake (docs/DETECTOR.md, "Candidate AA":
        photos re-coded as video stills or saved as HEIC fool the sharp branch, not the soft one)."""
        return sigmoid(_calibrated_logits(self.soft, crops), self.card.temperature)

    def second_opinions(self, crops: list, accused: np.ndarray) -> dict[int, float]:
        """`soft_opinion` (by position) of the `accused` crops that the sharp branch judged: the soft branch runs on
        those only (a face it judged already needs no second opinion), so agreement costs nothing where no one is
        accused."""
        soft, _ = self.routes(crops)
        rows = np.flatnonzero(np.asarray(accused, dtype=bool) & ~soft)
        if not len(rows):
            return {}
        return {int(row): float(p) for row, p in zip(rows, self.soft_opinion([crops[i] for i in rows]), strict=True)}

    def features(self, crops: list) -> tuple[np.ndarray, np.ndarray]:
        """Each face's penultimate features from one network, the sharp branch's, whichever branch judged the face
        (two networks' features are two spaces: an embedding map or a video track must compare like with like),
        and its routed calibrated logit."""
        features, logits = _features(self.sharp, crops)
        soft, grainy = self.routes(crops)
        rows = np.flatnonzero(soft)
        if len(rows):
            shown = _as_shown([crops[i] for i in rows], grainy[rows])
            logits[rows] = _calibrated_logits(self.soft, shown)
        return features, self._second_opinion(crops, logits, soft)

    def face_evidence(self, crops: list, features: np.ndarray | None, p_fake: np.ndarray) -> list[dict | None]:
        """The route that judged each face, holding the face's whole calibrated logit, so a record says whether
        the face counted as soft (blurred) or grainy (smoothed first) and went to the branch trained for soft
        faces."""
        p = np.clip(np.asarray(p_fake, dtype=np.float64), 1e-7, 1 - 1e-7)
        soft, grainy = self.routes(crops)
        keys = np.where(grainy, GRAINY, np.where(soft, SOFT, SHARP))
        return [{str(key): float(np.log(q / (1 - q)))} for key, q in zip(keys, p, strict=True)]

    @property
    def module(self) -> nn.Module:
        raise FacetrustError(f"{self.name}: a routed model is two networks, each face scored by one; use its "
                             f"branches ({SHARP}/ and {SOFT}/ in {self.folder})")

    @property
    def backend(self) -> str:
        return self.sharp.backend

    @property
    def has_branches(self) -> bool:
        return False


def _as_shown(crops: Sequence[np.ndarray], grainy: np.ndarray) -> list[np.ndarray]:
    """The crops as the branches see them: grainy ones smoothed (they go to the soft branch), the others as they are."""
    return [cv2.GaussianBlur(crop, (0, 0), SMOOTHING_SIGMA) if smooth else crop
            for crop, smooth in zip(crops, grainy, strict=True)]


def _calibrated_logits(branch: LoadedModel, crops: list) -> np.ndarray:
    """A branch's logits with its own temperature applied: what the routed card's temperature and threshold act on."""
    return np.asarray(branch.logits(crops), dtype=np.float32) / branch.card.temperature


def _features(branch: LoadedModel, crops: list) -> tuple[np.ndarray, np.ndarray]:
    features, logits = branch.features(crops)
    return features, logits / branch.card.temperature


def load_routed(folder: Path, card: ModelCard, load: Callable[[Path], LoadedModel]) -> RoutedModel:
    """A routed model folder's two branches loaded by `load` (the backend choice of `load_model`)."""
    routes = card.architecture_options
    try:
        floor = float(routes["floor"])
        ceiling = None if routes.get("noise_ceiling") is None else float(routes["noise_ceiling"])
        skip_frame = SHARPNESS_READINGS[routes.get("sharpness", "centre")]
        sharp, soft = (load(folder / str(routes[name])) for name in (SHARP, SOFT))
        second = load(folder / str(routes[SECOND])) if routes.get(SECOND) else None
    except (KeyError, TypeError, ValueError) as exc:
        raise FacetrustError(f"{folder}: a routed model's card needs 'floor', '{SHARP}' and '{SOFT}' in its "
                             f"architecture_options, and 'sharpness' (if given) 'centre' or 'photo' "
                             f"({type(exc).__name__}: {exc})") from None
    check_branches(sharp.card, soft.card)
    if second is not None:
        check_branches(sharp.card, second.card)
    if card.preprocess != sharp.card.preprocess or card.faces != sharp.card.faces:
        raise FacetrustError(f"{folder}: the routed card's crop or preprocessing differs from its branches'")
    routing = " ".join([str(floor), *([str(ceiling)] if ceiling is not None else []),
                        *(["photo"] if skip_frame else [])])
    weights = " ".join(m.weights_sha256 for m in (sharp, soft, second) if m is not None)
    digest = hashlib.sha256(f"{weights} {routing}".encode()).hexdigest()
    return RoutedModel(None, card, folder=folder, weights_sha256=digest, sharp=sharp, soft=soft, floor=floor,
                       noise_ceiling=ceiling, skip_frame=skip_frame, second=second)
