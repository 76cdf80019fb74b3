"""The model card (`model.json`): one typed record per model folder, one reader, one writer.

An image model's card (`ModelCard`: detector or expression model) and a temporal video model's (`VideoCard`)
say how to rebuild the model, crop and preprocess faces as in training, calibrate and decide, and what the
model scored. The reader validates a card and upgrades old ones (detector cards written before cards had a
`task`); a malformed card is one `FacetrustError` naming the file and the field. The writer is atomic, so an
interrupted save never leaves half a card. Fields the code does not read (training provenance, per-source
scores, rules in words) are kept as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from facetrust.atomic import atomic_write
from facetrust.errors import FacetrustError, validation_problems
from facetrust.faces.face_crop import FaceCrop
from facetrust.models.preprocess import Preprocess

CARD_FORMAT = "facetrust-model/1"
CARD_FILE = "model.json"
ROUTED = "routed"  # the architecture of a detector made of two detector folders (facetrust.models.routed)


class _Card(BaseModel):
    model_config = ConfigDict(extra="allow")  # provenance and scores the code does not read are kept

    format: Literal["facetrust-model/1"] = CARD_FORMAT
    name: str
    version: str
    temperature: float = Field(gt=0)


class ModelCard(_Card):
    """An image model: a real/fake detector (`task` detector, one logit) or an expression model (emotion)."""

    task: Literal["detector", "emotion"] = "detector"  # detector cards before 2026-12 had no task: upgraded here
    architecture: str
    architecture_options: dict = Field(default_factory=dict)
    classes: list[str]
    inputs: list[str] = Field(default_factory=lambda: ["image"])
    preprocess: Preprocess
    faces: FaceCrop
    threshold: float | None = Field(default=None, ge=0, le=1)  # detectors: chosen on validation
    tta: Literal["flip", "ten_crop"] | None = None
    # detectors: faces whose box's shorter side is below this many input pixels get `uncertain`, whatever their
    # P(fake) (docs/VERDICT_SCHEMA.md, "Smallest face judged"); None: no floor
    smallest_face: int | None = Field(default=None, gt=0)
    # detectors: a face whose grain (facetrust.media.quality.noise_level) is over this cannot be called real, only
    # uncertain: grain hides fakes (docs/VERDICT_SCHEMA.md, "Noisiest face judged"); None: no ceiling
    noise_ceiling: float | None = Field(default=None, gt=0)
    metrics: dict = Field(default_factory=dict)
    training: dict = Field(default_factory=dict)
    encodings: dict = Field(default_factory=dict)  # models reading dlib encodings: crops without a face per split

    @property
    def reads_encodings(self) -> bool:
        return "encoding" in self.inputs


class VideoCard(_Card):
    """A temporal video model: a head over an image model's frame features, tied to it by weights sha256."""

    task: Literal["video"]
    temporal: str
    temporal_options: dict
    frames: int = Field(gt=0)
    frame_inputs: list[str]
    threshold: float = Field(ge=0, le=1)
    uncertain_band: float | None = Field(default=None, ge=0, le=0.5)  # chosen with the threshold; None: default
    image_model: dict  # name, version, sha256 of its weights, path relative to this folder
    videos_sha256: list[str] = Field(default_factory=list)


Card = TypeVar("Card", ModelCard, VideoCard)


def read_card(folder: Path, kind: type[Card]) -> Card:
    """The card in `folder`, validated as `kind`; an unreadable or malformed card names the file and field."""
    path = Path(folder) / CARD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FacetrustError(f"{path}: cannot read the model card ({exc})") from None
    if not isinstance(data, dict):
        raise FacetrustError(f"{path}: a model card is a JSON object")
    if data.get("format") != CARD_FORMAT:
        raise FacetrustError(f"{path}: unknown card format {data.get('format')!r}")
    if kind is ModelCard and data.get("task") == "video":
        raise FacetrustError(f"{path}: a video model's card, where an image model was expected")
    if kind is VideoCard and data.get("task") != "video":
        raise FacetrustError(f"{path}: not a video model (its card has no task 'video')")
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        raise FacetrustError(f"{path}: malformed model card ({validation_problems(exc.errors())})") from None


def write_card(folder: Path, card: ModelCard | VideoCard) -> None:
    """Write `card` into `folder` as `model.json`, atomically."""
    with atomic_write(Path(folder) / CARD_FILE) as partial:
        partial.write_text(json.dumps(card.model_dump(mode="json"), indent=2), encoding="utf-8")


def network_difference(card: ModelCard, other: ModelCard) -> str | None:
    """The first field that makes two detector cards different networks (architecture, its options, input
    preprocessing, face crop), or None: weights can be mixed (interpolated, averaged) only between the same."""
    return next((field for field in ("architecture", "architecture_options", "preprocess", "faces")
                 if getattr(card, field) != getattr(other, field)), None)
