"""Training a real/fake detector end to end: data, face crops, loop, model selection on validation.

Every finished epoch is saved to `last.pt` (weights, optimiser, schedule, history), so an interrupted
run continues from there when started again with the same output folder and settings. The model kept
is the best epoch on validation ROC-AUC; temperature and threshold are fitted on validation too. The
test split, when present, is only measured, never used to choose anything.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from timm.utils import ModelEmaV3
from torch import nn
from tqdm import tqdm

import facetrust
from facetrust.data.augment import Augment, jpeg_roundtrip
from facetrust.data.datasets import Sample, assign_splits, cap_split, discover, find_duplicates, split_counts
from facetrust.data.face_crops import CropSet, crop_samples
from facetrust.data.sbi import DONOR_CANDIDATES, CueMode, Donor, MaskMode, SelfBlend, closest_donor, self_blend
from facetrust.data.sources import SELF_BLEND, per_source_auc, source_samples, well_sampled
from facetrust.embeddings import FaceEncoder, encode_crops
from facetrust.errors import FacetrustError
from facetrust.evaluation import binary_metrics, choose_threshold, fit_temperature
from facetrust.evaluation.plots import save_training_curves
from facetrust.faces.landmarks import crop_shape_68
from facetrust.models import create_model, model_entry
from facetrust.models.card import ModelCard
from facetrust.models.checkpoint import save_model
from facetrust.models.inference import batch_of, channels_last, extra_inputs, predict_logits, sigmoid
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import check_trainable
from facetrust.models.weights_io import start_from
from facetrust.settings_lock import pin_settings
from facetrust.training.boundary import BoundaryHead, boundary_loss, seam
from facetrust.training.checkpointing import write_history
from facetrust.training.distillation import Distillation
from facetrust.training.distributed import Workers, join_workers
from facetrust.training.epoch_plan import Draw, balanced, plan_labels, shuffled
from facetrust.training.loop import Judged, Optimisation, run_epochs
from facetrust.training.one_class import OneClassLoss
from facetrust.training.recipe import TrainConfig, face_crop, preprocess_of, threshold_rule
from facetrust.training.sharpness import SharpnessAware
from facetrust.training.source_adversary import SourceAdversary, ramp

# Validation faces (their self-blends and degraded copies) are drawn with this seed whatever the run's own: runs of
# several seeds are selected on the same faces, so they can be compared and ensembled
VALIDATION_SEED = 0
NO_FACE_RULE = "a crop where dlib finds no face gets a zero encoding and found-flag 0; it is kept, not dropped"


def train(config: TrainConfig, progress: bool = True) -> Path:
    """Train, select on validation, calibrate, and write `<out>/model/` (weights + card). Returns that folder.

    Under torchrun, every process runs this and trains on its share of each batch (see `distributed`).
    """
    out = Path(config.out)
    workers = join_workers()
    progress = progress and workers.leader
    if workers.leader:
        out.mkdir(parents=True, exist_ok=True)
        pin_settings(out / "config.json", config, f"{out} holds a run with other settings")
    augment = _augment(config)
    preprocess = preprocess_of(config)
    try:
        check_trainable(config.model, config.model_options, config.epochs)
    except ValueError as exc:
        raise FacetrustError(str(exc)) from None
    distillation = (Distillation.from_folder(config.teacher, config.distill_weight, face_crop(config))
                    if config.teacher else None)  # before the crops: a wrong teacher is refused at once
    _check_heads_beside(config, workers)  # likewise a head beside the model that cannot train
    if not workers.leader:
        workers.wait_for_all()  # the leader finds the faces first; the others then read its crop cache
    splits, duplicates, skipped = _load_splits(config, preprocess, progress)
    if workers.leader:
        workers.wait_for_all()
    torch.manual_seed(config.seed)  # here, not earlier: building a face detector on a crop-cache miss draws numbers too
    model = create_model(config.model, pretrained=config.pretrained, channels=preprocess.channels,
                         size=preprocess.size, **config.model_options)
    if config.init_weights:
        try:
            fresh = start_from(model, config.init_weights)
        except ValueError as exc:
            raise FacetrustError(f"init_weights {config.init_weights}: {exc}") from None
        if fresh and progress:
            layers = sorted({name.split(".")[0] for name in fresh})
            tqdm.write(f"started from {config.init_weights}; new layers: {', '.join(layers)}")
    channels_last(model)
    if config.freeze_backbone:
        model.freeze_backbone()
    boundary = BoundaryHead(model) if config.boundary_weight else None
    adversary = _source_adversary(model, config, splits["train"])
    beside = boundary or adversary
    parameters = [p for p in model.parameters() if p.requires_grad] + (list(beside.parameters()) if beside else [])
    optimiser = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(_epoch_plan(splits["train"], config, 1)) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=config.lr, epochs=config.epochs,
                                                   steps_per_epoch=steps_per_epoch, pct_start=0.15)
    trained = workers.wrap(model)
    ema = ModelEmaV3(model, decay=config.ema_decay, use_warmup=True) if config.ema_decay else None
    if beside:
        beside.attach()  # after the EMA copy, which needs no hook
    run = Optimisation(model, optimiser, schedule, ema, beside)
    stepper = SharpnessAware(optimiser, config.sam_rho)

    def train_epoch(epoch: int) -> float:
        plan, loss_fn = _epoch_plan_and_loss(splits["train"], config, epoch)
        batch_loss = BatchLoss(loss_fn, config, schedule, distillation, boundary, adversary)
        return _train_epoch(trained, splits["train"], plan, preprocess, augment, batch_loss, stepper, schedule,
                            config, epoch, progress, ema, workers)

    def judge(judged: nn.Module, epoch: int) -> Judged:
        val_logits = predict_logits(judged, preprocess, splits["val"].crops, config.batch_size,
                                    encodings=splits["val"].encodings)
        val = binary_metrics(splits["val"].labels, sigmoid(val_logits))
        _plan, loss_fn = _epoch_plan_and_loss(splits["train"], config, epoch)
        val_loss = float(loss_fn(torch.tensor(val_logits), torch.tensor(splits["val"].labels, dtype=torch.float32)))
        score, by_source = selection_score(config, splits["val"], val_logits)
        metrics = {"val_loss": val_loss, "val_roc_auc": val["roc_auc"],
                   "val_balanced_accuracy": val["balanced_accuracy"],
                   **({"val_mean_source_auc": score} if by_source else {}),
                   **{f"val_auc_{name}": auc for name, auc in by_source.items()}}
        sources = "".join(f", {name} {auc:.3f}" for name, auc in by_source.items())
        return Judged(score, metrics, f"val loss {val_loss:.4f}, val AUC {val['roc_auc']}{sources}")

    history = run_epochs(out, run, config.epochs, config.patience, train_epoch, judge, workers.leader, progress)
    if beside:
        beside.remove()
    workers.wait_for_all()
    if workers.leader:
        write_history(out, history)
        model.load_state_dict(load_file(str(out / "best.safetensors")))
        teacher = {"teacher": distillation.provenance} if distillation else {}
        finish_model(out, config, model, splits, {"duplicates": duplicates, "skipped": skipped[:50],
                                                  "skipped_count": len(skipped), "epochs_run": len(history),
                                                  "best_epoch": _best_epoch(history), **teacher}, history)
    workers.wait_for_all()
    return out / "model"


def _check_heads_beside(config: TrainConfig, workers: Workers) -> None:
    """Refuse, from the recipe alone, a head beside the model (training.boundary, training.source_adversary) that
    cannot train: one head a run, trained in one process, each with the data it learns from."""
    if config.boundary_weight and config.source_adversary_weight:
        raise FacetrustError("boundary_weight and source_adversary_weight each train a head beside the model: "
                             "choose one")
    for weight in ("boundary_weight", "source_adversary_weight"):
        if getattr(config, weight) and workers.world > 1:
            raise FacetrustError(f"{weight} trains in one process only: its head is not shared between workers")
    if config.boundary_weight and not config.self_blend:
        raise FacetrustError("boundary_weight needs self_blend: the seams it learns are the self-blends'")
    if config.source_adversary_weight and not config.sources:
        raise FacetrustError("source_adversary_weight needs a recipe with several sources to tell apart")


def _source_adversary(model: nn.Module, config: TrainConfig, train_crops: CropSet) -> SourceAdversary | None:
    """The head that tries to read each training crop's source, when the recipe weighs one (training.source_adversary):
    its classes are the sources of the real and of the fake training crops, self-blends a fake source of their own."""
    if not config.source_adversary_weight:
        return None
    labels_by_source: dict[str, set[int]] = {}
    for sample, label in zip(train_crops.samples, train_crops.labels, strict=True):
        labels_by_source.setdefault(sample.source, set()).add(int(label))
    real = [name for name, labels in labels_by_source.items() if 0 in labels]
    fake = [name for name, labels in labels_by_source.items() if 1 in labels]
    try:
        return SourceAdversary(model, real, fake + ([SELF_BLEND] if config.self_blend else []))
    except ValueError as exc:
        raise FacetrustError(f"source_adversary_weight: {exc}") from None


def _augment(config: TrainConfig) -> Augment:
    if not config.augment:
        return Augment.none()
    unknown = set(config.augment_options) - set(Augment.__dataclass_fields__)
    if unknown:
        raise FacetrustError(f"unknown augment_options {sorted(unknown)}; known: "
                             f"{', '.join(Augment.__dataclass_fields__)}")
    return Augment(**config.augment_options)


def recipe_samples(config: TrainConfig) -> list[Sample]:
    """Every file the recipe reads, with its split. A folder without splits is split by group the same way for every
    seed, so that runs of several seeds share their validation and test files and can be compared or ensembled."""
    if config.sources:
        return source_samples(config.data, config.sources, config.leave_out)
    return assign_splits(discover(config.data))


def _load_splits(config: TrainConfig, preprocess: Preprocess, progress: bool,
                 wanted: tuple[str, ...] = ("train", "val", "test")) -> tuple[dict[str, CropSet], dict, list]:
    """The `wanted` splits' face crops (with landmarks and self-blends, encodings when the recipe needs them); the
    splits and their sampling are decided over all files first, so a split is the same whichever are wanted."""
    found = recipe_samples(config)
    if config.real_only:
        if not config.self_blend:
            raise FacetrustError("real_only needs self_blend > 0: self-blends are then the only fakes to learn from")
        found = [s for s in found if s.label == 0]
    samples, report = find_duplicates(found)
    by_split = {name: [s for s in samples if s.split == name] for name in ("train", "val", "test")}
    if not by_split["train"] or not by_split["val"]:
        raise FacetrustError(f"{config.data}: training needs train and validation images; found "
                             f"{split_counts(samples)}")
    if config.max_per_split:
        by_split = {k: cap_split(v, config.max_per_split, k, config.seed) for k, v in by_split.items()}
    if config.train_fraction < 1.0:
        by_split["train"] = _stratified_share(by_split["train"], config.train_fraction, config.seed)
    finder = face_crop(config).finder(all_faces=False)
    splits = {name: crop_samples(items, finder, f"faces in {name}", progress) for name, items in by_split.items()
              if name in wanted}
    if config.self_blend:
        _prepare_self_blends(splits, config, progress)
    if config.validate_augmented and "val" in splits:
        if model_entry(config.model).needs_encodings:
            raise FacetrustError(f"validate_augmented: {config.model} reads face encodings, made of clean crops")
        splits["val"] = augmented_copy(splits["val"], _augment(config), VALIDATION_SEED)
    if model_entry(config.model).needs_encodings:
        for crop_set in splits.values():
            crop_set.encodings = encode_crops(crop_set.crops, progress=progress)
    checked = ("val",) if config.real_only else ("train", "val")  # real_only: training's fakes are made per epoch
    for name in [n for n in checked if n in wanted]:
        if len(set(splits[name].labels.tolist())) < 2:
            raise FacetrustError(f"{config.data}: the {name} split needs both real and fake faces")
    duplicates = {"summary": report.summary(), "dropped": [str(p) for p in report.dropped]}
    skipped = [item for crop_set in splits.values() for item in crop_set.skipped]
    return splits, duplicates, skipped


def augmented_copy(crop_set: CropSet, augment: Augment, seed: int) -> CropSet:
    """The crop set with every crop augmented once, seeded by its position: the same copy every run and epoch."""
    crops = [augment(crop, np.random.default_rng([seed, index, 4])) for index, crop in enumerate(crop_set.crops)]
    return replace(crop_set, crops=crops)


def validation_crops(config: TrainConfig, progress: bool = True) -> CropSet:
    """The validation crops a run selects on (self-blends included when the run makes them), for scoring
    another model by the same rule (`selection_score`)."""
    return split_crops(config, ("val",), progress)["val"]


@dataclass(frozen=True)
class ValidationFaces:
    """A recipe's validation faces of its data sets, self-blends left out: what the measurements of a trained
    detector on real faces read (scripts/noise_ceiling.py, face_size_floor.py, validation_robustness.py)."""

    crops: list[np.ndarray]
    labels: np.ndarray
    sources: np.ndarray
    paths: list[Path]


def validation_faces(config: TrainConfig) -> ValidationFaces:
    """The recipe's validation faces as `validation_crops` gives them, without making the self-blends that would be
    left out (landmarks of every real face, and a blend of each); a real_only recipe keeps its rule, blends and all."""
    val = validation_crops(config if config.real_only else replace(config, self_blend=0.0), progress=False)
    kept = [i for i, sample in enumerate(val.samples) if sample.source != SELF_BLEND]
    return ValidationFaces([val.crops[i] for i in kept], np.asarray(val.labels)[kept],
                           np.array([val.samples[i].source for i in kept]), [val.samples[i].path for i in kept])


def split_crops(config: TrainConfig, names: tuple[str, ...], progress: bool = True) -> dict[str, CropSet]:
    """A recipe's face crops of the named splits, exactly as its training run sees them."""
    return _load_splits(config, preprocess_of(config), progress, names)[0]


def selection_score(config: TrainConfig, val: CropSet, logits: np.ndarray) -> tuple[float, dict[str, float]]:
    """What picks the epoch and the test-time views, and the per-source ROC-AUCs behind it: with several sources
    the mean of the validation ROC-AUCs of the well-sampled sources (each counts once, however large), else the
    validation ROC-AUC. Every source's AUC is returned, counted or not."""
    if config.sources:
        names = [s.source for s in val.samples]
        by_source = per_source_auc(names, val.labels, sigmoid(logits))
        counted = [by_source[name] for name in well_sampled(names, val.labels, config.min_scored_faces)
                   if name in by_source]
        return float(np.mean(counted)), by_source
    pooled = binary_metrics(val.labels, sigmoid(logits))
    return (pooled["roc_auc"] if pooled["roc_auc"] is not None else pooled["accuracy"]), {}


def _prepare_self_blends(splits: dict[str, CropSet], config: TrainConfig, progress: bool) -> None:
    """Landmarks of every real crop (training blends are made from them each epoch), and one fixed self-blend
    per real validation face added to validation as the source `sbi` (each next to its own original)."""
    if config.face_mode != "detect":
        raise FacetrustError("self-blending needs aligned face crops: set face_mode to detect")
    for name in [n for n in ("train", "val") if n in splits]:
        crop_set = splits[name]
        reals = [i for i, label in enumerate(crop_set.labels) if label == 0]
        for i in tqdm(reals, desc=f"landmarks in {name}", unit="face", disable=not progress):
            crop_set.shapes[i] = crop_shape_68(crop_set.crops[i], config.margin)
    val = splits.get("val", CropSet())
    for i, points in list(val.shapes.items()):
        val.crops.append(blended_crop(val.crops[i], points, np.random.default_rng([VALIDATION_SEED, i, 2]),
                                      config.self_blend_cues).image)
        val.samples.append(replace(val.samples[i], label=1, source=SELF_BLEND))


def blended_crop(crop: np.ndarray, points: np.ndarray, rng: np.random.Generator, cues: CueMode = "all",
                 masks: MaskMode = "face", donor: Donor | None = None) -> SelfBlend:
    """A blended fake of `crop` (from itself, or from `donor`), JPEG-compressed once at a random quality (the rng's
    first draw, so the real crop it pairs with can be given the same quality from the same seed), and its mask."""
    quality = _blend_quality(rng)
    blend = self_blend(crop, points, rng, cues, masks, donor)
    return SelfBlend(jpeg_roundtrip(blend.image, quality), blend.mask)


def blend_donor(data: CropSet, index: int, share: float, rng: np.random.Generator) -> Donor | None:
    """With probability `share`, the face to paste into crop `index` instead of itself: of a few other real crops
    of its source (with landmarks), the one whose pose is closest; None for a self-blend. Draws nothing when
    `share` is 0, so recipes without donors make the blends they always made."""
    if not share or rng.random() >= share:
        return None
    source = data.samples[index].source
    pool = [i for i in data.shapes if i != index and data.samples[i].source == source]
    if not pool:
        return None
    drawn = rng.choice(pool, size=min(DONOR_CANDIDATES, len(pool)), replace=False)
    return closest_donor(data.shapes[index], [Donor(data.crops[i], data.shapes[i]) for i in drawn])


def _blend_quality(rng: np.random.Generator) -> int:
    return int(rng.integers(70, 100, endpoint=True))


def _epoch_plan_and_loss(data: CropSet, config: TrainConfig, epoch: int) -> tuple[list[Draw], nn.Module]:
    """The epoch's plan and its loss (the one-class loss for a one-class head), fake examples weighted so both classes
    count alike in this plan."""
    plan = _epoch_plan(data, config, epoch)
    targets = plan_labels(plan, data.labels)
    pos_weight = torch.tensor((targets == 0).sum() / max((targets == 1).sum(), 1), dtype=torch.float32)
    loss = OneClassLoss if config.model_options.get("head") == "one_class" else nn.BCEWithLogitsLoss
    return plan, loss(pos_weight=pos_weight)


def _epoch_plan(data: CropSet, config: TrainConfig, epoch: int) -> list[Draw]:
    rng = np.random.default_rng([config.seed, epoch])
    if not config.sources:
        return shuffled(len(data.crops), rng)
    can_blend = np.array([i in data.shapes for i in range(len(data.crops))])
    return balanced([s.source for s in data.samples], data.labels, config.per_source, config.self_blend,
                    can_blend, rng, config.source_caps)


def _stratified_share(samples: list, fraction: float, seed: int) -> list:
    """A seeded `fraction` of each label's samples (at least one of each), in their original order."""
    if not 0.0 < fraction <= 1.0:
        raise FacetrustError(f"train_fraction must be in (0, 1], got {fraction}")
    rng = np.random.default_rng([seed, 1])
    kept: set[int] = set()
    for label in (0, 1):
        members = [i for i, s in enumerate(samples) if s.label == label]
        count = max(1, round(fraction * len(members))) if members else 0
        kept.update(members[i] for i in rng.permutation(len(members))[:count])
    return [s for i, s in enumerate(samples) if i in kept]


@dataclass(frozen=True)
class BatchLoss:
    """What a training batch's loss is made of: the labels' loss, and, when the recipe has them, a teacher's soft
    labels, a boundary head's seam loss and a source adversary's loss (its gradient reaching the model reversed)."""

    loss_fn: nn.Module
    config: TrainConfig
    schedule: torch.optim.lr_scheduler.LRScheduler  # read, not stepped: how far training is sets the adversary's ramp
    distillation: Distillation | None = None
    boundary: BoundaryHead | None = None
    adversary: SourceAdversary | None = None

    def __call__(self, model: nn.Module, batch: torch.Tensor, extras: tuple[torch.Tensor, ...], targets: torch.Tensor,
                 shown: list[TrainingView], sources: list[str]) -> torch.Tensor:
        logits = model(batch, *extras)
        loss = self.loss_fn(logits, targets)
        if self.distillation:
            loss = self.distillation.loss(loss, logits, [view.crop for view in shown])
        if self.boundary:
            seams = [view.seam for view in shown]
            loss = loss + self.config.boundary_weight * boundary_loss(self.boundary(), seams)
        if self.adversary:
            progress = self.schedule.last_epoch / self.schedule.total_steps
            loss = loss + self.adversary.loss(sources, targets, self.config.source_adversary_weight * ramp(progress))
        return loss


def _train_epoch(model: nn.Module, data: CropSet, plan: list[Draw], preprocess: Preprocess, augment: Augment,
                 batch_loss: BatchLoss, stepper: SharpnessAware, schedule: torch.optim.lr_scheduler.LRScheduler,
                 config: TrainConfig, epoch: int, progress: bool, ema: ModelEmaV3 | None, workers: Workers) -> float:
    """One pass over the epoch's plan; returns the mean `batch_loss` over this process's samples. Each batch is one
    step of `stepper` (sharpness-aware when the recipe sets `sam_rho`: the loss is then computed twice, on the same
    augmented views)."""
    model.train()
    labels = torch.from_numpy(plan_labels(plan, data.labels))
    total, seen = 0.0, 0
    batches = range(0, len(plan), config.batch_size)
    for start in tqdm(batches, desc=f"epoch {epoch}/{config.epochs}", unit="batch", disable=not progress,
                      leave=False):
        positions = np.arange(start, min(start + config.batch_size, len(plan)))
        if len(positions) < workers.world:
            continue  # a last batch too small to give every process a sample: all of them skip it
        mine = workers.share(positions)
        index = [plan[k].index for k in mine]
        shown = [_training_view(data, plan, k, augment, config, epoch) for k in mine]
        sources = [SELF_BLEND if plan[k].blended else data.samples[plan[k].index].source for k in mine]
        loss = stepper.step(partial(batch_loss, model, batch_of(preprocess, [view.crop for view in shown]),
                                    extra_inputs(data.encodings, index), labels[mine], shown, sources))
        schedule.step()
        if ema:
            ema.update(getattr(model, "module", model), step=schedule.last_epoch)
        total += loss.item() * len(index)
        seen += len(index)
    return total / max(seen, 1)


@dataclass(frozen=True)
class TrainingView:
    """An augmented training crop and, for a recipe with a boundary loss, its seam map placed as the crop was: the
    blend's seam, nothing on a real crop, None on a data set's fake (where a seam runs is not known)."""

    crop: np.ndarray
    seam: np.ndarray | None = None


def _training_view(data: CropSet, plan: list[Draw], position: int, augment: Augment, config: TrainConfig,
                   epoch: int) -> TrainingView:
    """The augmented crop a plan position shows. A blend and the real crop it was made from (the draw before
    it) get the same one JPEG, so compression says nothing about which of the two is fake."""
    draw = plan[position]
    crop = data.crops[draw.index]
    seam_map = None if data.labels[draw.index] else np.zeros(crop.shape[:2], np.float32)
    partnered = draw.blended or (position + 1 < len(plan) and plan[position + 1] == Draw(draw.index, True))
    if partnered:
        rng = np.random.default_rng([config.seed, epoch, draw.index, 1])  # quality: the first draw for both
        if draw.blended:
            donor = blend_donor(data, draw.index, config.self_blend_donors,
                                np.random.default_rng([config.seed, epoch, draw.index, 3]))
            blend = blended_crop(crop, data.shapes[draw.index], rng, config.self_blend_cues,
                                 config.self_blend_masks, donor)
            crop, seam_map = blend.image, seam(blend.mask)
        else:
            crop = jpeg_roundtrip(crop, _blend_quality(rng))
    seed = [config.seed, epoch, draw.index, 2] if draw.blended else [config.seed, epoch, draw.index]
    view = augment(crop, np.random.default_rng(seed))
    if not config.boundary_weight or seam_map is None:
        return TrainingView(view)
    return TrainingView(view, augment.placed(seam_map, np.random.default_rng(seed)))


def finish_model(out: Path, config: TrainConfig, model: nn.Module, splits: dict[str, CropSet], provenance: dict,
                 history: list[dict] | None = None) -> Path:
    """Decide on flip TTA, calibrate and choose the threshold on validation, measure every split given, and write
    `<out>/model` with its card (`provenance` goes into the card's `training`, beside the recipe and split sizes).
    Used at the end of training and for models made without training (a weight soup: scripts/soup_model.py)."""
    preprocess = preprocess_of(config)
    tta, val_logits = _choose_flip(model, preprocess, splits["val"], config)
    logits = {name: val_logits if name == "val" else
              predict_logits(model, preprocess, s.crops, config.batch_size, tta=tta, encodings=s.encodings)
              for name, s in splits.items()}
    name = config.name or f"{config.model}-{Path(config.data).name}"
    card = {
        "name": name,
        "version": datetime.now(UTC).strftime("%Y%m%d-%H%M%S"),
        "architecture": config.model,
        "architecture_options": {"channels": preprocess.channels, "size": preprocess.size,
                                 **{k: v for k, v in config.model_options.items() if k != "weights"}},
        "classes": ["real", "fake"],
        "inputs": list(model_entry(config.model).inputs),
        **_encoding_card(splits),
        "preprocess": preprocess.to_dict(),
        "faces": face_crop(config).model_dump(),
        **calibrated_card(config, splits, logits),
        "tta": tta,
        "tta_rule": "as configured" if config.tta is not None else "flip only if it raises validation ROC-AUC",
        "training": {"config": asdict(config), "splits": {k: {"real": int((s.labels == 0).sum()),
                                                              "fake": int((s.labels == 1).sum())}
                                                          for k, s in splits.items()}, **provenance},
        "code_version": facetrust.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if history:
        selection = ("val_mean_source_auc",) if config.sources else ()
        save_training_curves(out / "curves.png", history, ("val_roc_auc", "val_balanced_accuracy", *selection))
    return save_model(out / "model", model, ModelCard.model_validate(card))


def calibrated_card(config: TrainConfig, splits: dict[str, CropSet], logits: dict[str, np.ndarray]) -> dict:
    """The card's temperature and threshold, fitted on validation by the recipe's rule, and every split's metrics
    (per source too, for multi-source recipes), from each split's logits. Shared by training, pairs and routed
    models, so every detector is calibrated and scored the same way."""
    # Calibration and threshold read real data only: self-blends teach, but no user uploads one. A real_only run
    # has no other fakes, so its temperature is fitted on the self-blends too (the threshold bounds real FPR).
    calibration = np.array([s.source != SELF_BLEND or config.real_only for s in splits["val"].samples])
    val_labels = splits["val"].labels[calibration]
    temperature = fit_temperature(logits["val"][calibration], val_labels)
    val_p = sigmoid(logits["val"][calibration], temperature)
    try:
        threshold = choose_threshold(val_labels, val_p, config.target_recall, config.max_fpr)
    except ValueError as exc:  # the trained weights stay in best.safetensors; only the card cannot be made
        raise FacetrustError(f"{config.out}: the threshold rule cannot be applied on this validation split: {exc}") \
            from None
    metrics = {name: binary_metrics(s.labels, sigmoid(logits[name], temperature), threshold)
               for name, s in splits.items() if len(s.crops)}
    by_source = {name: _source_metrics(s, sigmoid(logits[name], temperature), threshold)
                 for name, s in splits.items() if len(s.crops)} if config.sources else None
    return {"threshold": threshold, "threshold_rule": threshold_rule(config), "temperature": temperature,
            "metrics": metrics, **({"metrics_by_source": by_source} if by_source else {})}


def _source_metrics(data: CropSet, p_fake: np.ndarray, threshold: float) -> dict[str, dict]:
    """Every source's own metrics at the threshold, and its per-source ROC-AUC (`data.sources.per_source_auc`)."""
    sources = [s.source for s in data.samples]
    aucs = per_source_auc(sources, data.labels, p_fake)
    table = {}
    for name in dict.fromkeys(sources):
        own = np.array([source == name for source in sources])
        table[name] = {**binary_metrics(data.labels[own], p_fake[own], threshold), "source_auc": aucs.get(name)}
    return table


def _encoding_card(splits: dict[str, CropSet]) -> dict:
    """For models reading face encodings: which encoder, and how many crops per split dlib found no face in."""
    if splits["val"].encodings is None:  # every split given has them or none does
        return {}
    return {"encodings": {"encoder": FaceEncoder().settings(), "no_face_rule": NO_FACE_RULE,
                          "no_face": {name: int((s.encodings[:, -1] == 0).sum()) for name, s in splits.items()
                                      if s.encodings is not None}}}


def _choose_flip(model: nn.Module, preprocess: Preprocess, val: CropSet,
                 config: TrainConfig) -> tuple[str | None, np.ndarray]:
    """Flip TTA as configured, or only if averaging with the mirror image ranks validation faces better (it
    doubles inference cost); returns the choice and the validation logits under it, so they are not recomputed."""
    options = (None, "flip") if config.tta is None else ("flip" if config.tta else None,)
    logits = {tta: predict_logits(model, preprocess, val.crops, config.batch_size, tta=tta, encodings=val.encodings)
              for tta in options}
    auc = {tta: selection_score(config, val, found)[0] for tta, found in logits.items()}
    chosen = max(options, key=lambda tta: auc[tta])  # on a tie the first, i.e. no TTA (cheaper)
    return chosen, logits[chosen]


def _best_epoch(history: list[dict]) -> int | None:
    """The epoch whose weights were kept: the first best by the score that selected them."""
    key = "val_mean_source_auc" if history and "val_mean_source_auc" in history[0] else "val_roc_auc"
    scored = [h for h in history if h[key] is not None]
    return max(scored, key=lambda h: h[key])["epoch"] if scored else None
