"""A training recipe: every setting of a detector training run, read from YAML or JSON and validated once.

A recipe may `extends:` another and name only what it changes. A bad value is refused when the recipe is read,
named by its key (`facetrust train --config` exits 2 with that message), never deep inside a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from facetrust.data.sbi import CueMode, MaskMode
from facetrust.data.sources import MIN_SCORED_FACES
from facetrust.errors import FacetrustError, validation_problems
from facetrust.faces import DEFAULT_DETECTOR, CropMode
from facetrust.faces.face_crop import FaceCrop
from facetrust.models import model_entry
from facetrust.models.preprocess import Preprocess


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved as config.json in the output folder)."""

    data: str
    out: str
    model: str = "effnet_lite0"
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    img_size: int | None = None
    color: str = "rgb"
    pretrained: bool = True
    freeze_backbone: bool = False
    augment: bool = True
    augment_options: dict = field(default_factory=dict)  # overrides of Augment's fields, e.g. {"jpeg": 0.2}
    # Select the epoch and fit temperature and threshold on validation crops degraded by this augmentation (seeded
    # per face): a specialist that only ever judges one kind of face (the routed model's soft branch judges blurred
    # ones) must be chosen on that kind, not on clean faces it will never see
    validate_augmented: bool = False
    patience: int = 4
    seed: int = 0
    detector: str = DEFAULT_DETECTOR
    face_mode: CropMode = "auto"
    margin: float = 0.3
    target_recall: float | None = None
    # Flip test-time augmentation (average each crop's score with its mirror image's) for the final scores
    # (calibration, threshold, card metrics, scanning); None: only if it raises validation ROC-AUC.
    tta: bool | None = None
    max_per_split: int | None = None
    train_fraction: float = 1.0  # train on this seeded, label-stratified share of the training split
    ema_decay: float | None = None  # validate, select and ship an exponential moving average of the weights
    model_options: dict = field(default_factory=dict)
    name: str | None = None
    # Several data sets at once: `data` is their parent folder and `sources` maps each set's folder name to its
    # family (facetrust.data.sources.FAMILIES). Each epoch draws at most `per_source` crops per source;
    # `leave_out` drops one family from training (leave-one-family-out runs).
    sources: dict[str, str] = field(default_factory=dict)
    per_source: int = 300
    source_caps: dict[str, int] = field(default_factory=dict)  # another per-epoch cap for the sources named here
    # Sources with fewer validation faces of a class than this are reported but left out of the selection mean
    min_scored_faces: int = MIN_SCORED_FACES
    leave_out: str | None = None
    # Probability that a real training crop is followed by a self-blended fake of itself (data.sbi); the
    # validation split then gains one fixed self-blend per real face, scored as its own source.
    self_blend: float = 0.0
    self_blend_cues: CueMode = "all"  # data.sbi: every cue in every blend, or each cue drawn independently
    # data.sbi: training blends inside the face only, or a third of them inside facial parts; the validation blends
    # stay whole-face ones whatever this says, so recipes that differ here are still selected on the same crops
    self_blend_masks: MaskMode = "face"
    # Share of training blends pasted from another real training face of the same source instead of from the face
    # itself (data.sbi's donor: aligned by landmarks, the nearest pose of a few drawn, colour-matched); validation
    # blends stay self-blends whatever this says
    self_blend_donors: float = 0.0
    # Weight of Face X-ray's boundary loss (training.boundary): a head trained beside the detector draws each blend's
    # seam from the last feature map; 0 trains none. The shipped model is the architecture's own either way.
    boundary_weight: float = 0.0
    # Strength of the source adversary (training.source_adversary): a head beside the detector learns each training
    # crop's source within its class and the detector gets its gradient reversed, scaled by this times DANN's ramp;
    # 0 trains none. The shipped model is the architecture's own either way.
    source_adversary_weight: float = 0.0
    # Radius of sharpness-aware minimisation (training.sharpness, as the SBI paper trains): each step's gradient is
    # taken at the worst weights this far away; 0 takes plain steps. SAM costs a second pass of every batch.
    sam_rho: float = 0.0
    # Train on real faces and their self-blends only (the SBI paper's setting): every source's fakes are dropped
    # from training and validation, so no generator's trace can be learnt and each fake family stays unseen.
    real_only: bool = False
    max_fpr: float | None = None  # threshold rule: most fakes caught with validation FPR at most this
    init_weights: str | None = None  # start from a trained model of the same architecture (a .safetensors file)
    # Distillation (training.distillation): a trained detector folder whose calibrated P(fake) on each training view
    # the model also learns, weighted `distill_weight` against the hard labels' loss
    teacher: str | None = None
    distill_weight: float = 0.5


def read_config(path: Path, out: Path | None = None) -> TrainConfig:
    """A recipe file (YAML or JSON) as a TrainConfig; `out` replaces its output folder. `extends: OTHER.yaml`
    (relative to the file) starts from another recipe, so a variant names only what it changes: its settings replace
    the other's, except `augment_options`, whose fields are overridden one by one."""
    settings = _recipe_settings(path)
    if out:
        settings["out"] = str(out)
    unknown = set(settings) - set(TrainConfig.__dataclass_fields__)
    if unknown:
        raise FacetrustError(f"{path}: unknown settings {sorted(unknown)}")
    try:
        config = TypeAdapter(TrainConfig).validate_python(settings)
        face_crop(config)
        if not 0.0 < config.distill_weight <= 1.0:
            raise FacetrustError(f"{path}: distill_weight must be in (0, 1], got {config.distill_weight}")
        if config.source_adversary_weight < 0:
            raise FacetrustError(f"{path}: source_adversary_weight must be 0 (none) or more, got "
                                 f"{config.source_adversary_weight}")
        if config.sam_rho < 0:
            raise FacetrustError(f"{path}: sam_rho must be 0 (plain steps) or more, got {config.sam_rho}")
        if set(config.source_caps) - set(config.sources):
            raise FacetrustError(f"{path}: source_caps names sources the recipe does not train on: "
                                 f"{sorted(set(config.source_caps) - set(config.sources))}")
    except ValidationError as exc:
        raise FacetrustError(f"{path}: {validation_problems(exc.errors(), _RECIPE_KEYS)}") from None
    except ValueError as exc:  # an architecture neither registered nor in timm
        raise FacetrustError(f"{path}: model: {exc}") from None
    return config


# FaceCrop's fields as a recipe names them
_RECIPE_KEYS = {"mode": "face_mode", "size": "img_size"}


def preprocess_of(config: TrainConfig) -> Preprocess:
    """The model's input as the recipe sets it: the architecture's preprocessing at the recipe's size and colour."""
    base = model_entry(config.model).preprocess
    return replace(base, size=config.img_size or base.size, color=config.color)  # type: ignore[arg-type]


def face_crop(config: TrainConfig) -> FaceCrop:
    """The recipe's face crops (as large as the model's input), validated."""
    return FaceCrop(detector=config.detector, mode=config.face_mode, size=preprocess_of(config).size,
                    margin=config.margin)


def check_same_crops(folder: Path, faces: FaceCrop, config: TrainConfig) -> None:
    """A trained model re-scored by a recipe (paired, routed, calibrated) must crop faces as the recipe does, or
    its scores would be of other crops than the recipe's."""
    if faces != face_crop(config):
        raise FacetrustError(f"{folder} crops faces differently from the recipe ({faces} against "
                             f"{face_crop(config)}): its scores would not be of the same crops")


def _recipe_settings(path: Path) -> dict:
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(settings, dict):
        raise FacetrustError(f"{path}: not a mapping of training settings")
    base = settings.pop("extends", None)
    if not base:
        return settings
    inherited = _recipe_settings(path.parent / base)
    if "augment_options" in settings:  # overrides of Augment's fields: a variant names only the ones it changes
        settings["augment_options"] = inherited.get("augment_options", {}) | settings["augment_options"]
    return inherited | settings


def threshold_rule(config: TrainConfig) -> str:
    """The recipe's threshold rule in words, for the model card."""
    if config.target_recall:
        return f"recall >= {config.target_recall} on validation"
    if config.max_fpr is not None:
        return f"lowest with false-positive rate <= {config.max_fpr} on validation (self-blends excluded)"
    return "best balanced accuracy on validation"
