"""Training an expression model: cleaned data, class-weighted cross-entropy, selection on the selection split.

Splits: FER-2013's own (`train`, `public_test` for model selection, `private_test` only measured), or
train/val/test folders, or, for data without splits (CK+), a deterministic split by subject so that
one person's frames never sit on both sides. Checkpoint, test-time augmentation and temperature
are chosen on the selection split; the test split is measured, never used to choose.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from scipy.special import softmax
from torch import nn
from tqdm import tqdm

import facetrust
from facetrust.atomic import atomic_write
from facetrust.data.augment import Augment
from facetrust.data.datasets import cap_split, fold_for_group, sample_positions, split_for_group
from facetrust.emotion.data import EmotionSample, clean, discover_emotions
from facetrust.emotion.label_issues import OutOfFold, excluded_faces, face_key, read_holdouts, write_holdout
from facetrust.emotion.labels import EMOTIONS
from facetrust.errors import FacetrustError
from facetrust.evaluation import fit_temperature
from facetrust.evaluation.multiclass import multiclass_metrics
from facetrust.evaluation.plots import save_training_curves
from facetrust.models import create_model, model_entry
from facetrust.models.card import ModelCard
from facetrust.models.checkpoint import LoadedModel, load_model, save_model, save_weights
from facetrust.models.inference import TTA_MODES, batch_of, channels_last, predict_logits
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import check_trainable
from facetrust.models.weights_io import start_from
from facetrust.settings_lock import pin_settings
from facetrust.training.checkpointing import write_history
from facetrust.training.loop import Judged, Optimisation, run_epochs

SELECTION_SPLITS = ("public_test", "val")
HOLDOUT = "holdout"  # the first folder's train faces of the held-out fold (`holdout_fold`): measured, never trained
# How a scan frames a face for an expression model trained here: the aligned crop read best on FER-2013's public_test
# at margin -0.3, tighter than the aligned face square (docs/EMOTION.md, "Where the drop beyond FER-2013 comes from":
# 0.672 against 0.592 at 0.0). Every card written here says so, so a model trained today and scanned with
# `--emotion-model` sees faces framed as the bundled one does. Folder evaluations crop whole images and do not read it.
FER_FRAMING_MARGIN = -0.3
TEST_SPLITS = ("private_test", "test")
TTA_CHOICES: tuple[str | None, ...] = (None, *TTA_MODES)  # cheapest first: ties go to it
# The card's training-split figure only shows over-fitting: a seeded sample of this many faces says it as well
# as all 27k FER-2013 faces, which take most of an hour for an ensemble under ten-crop views.
TRAIN_MEASURED = 5000
# Expressions survive mirroring, small tilts, shifts, zooms and lighting changes; not heavy JPEG or blur,
# which erase the wrinkles that tell fear from surprise on 48-pixel faces.
EMOTION_AUGMENT = Augment(flip=0.5, geometry=0.8, shift=0.1, rotate=12.0, scale=0.12, color=0.3, jpeg=0.0,
                          blur=0.1, rescale=0.1)


@dataclass
class EmotionTrainConfig:
    """Everything that defines an expression training run (saved as config.json in the output folder)."""

    data: str
    out: str
    # Further expression folders trained on with `data` (e.g. CK+, split by subject): each is split its own way,
    # their train splits pooled, and selection is the mean of each folder's selection-split accuracy.
    extra_data: list[str] = field(default_factory=list)
    model: str = "effnet_lite0"
    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    img_size: int | None = None
    color: str | None = None  # default: the architecture's (grey for mini_xception, RGB for ImageNet models)
    pretrained: bool = True
    freeze_backbone: bool = False
    augment: bool = True
    class_weights: bool = True  # weight classes by 1/sqrt(frequency): disgust is 1.5% of FER-2013
    label_smoothing: float = 0.1
    patience: int = 5
    seed: int = 0
    max_per_split: int | None = None
    tta: str | None = None  # "none", "flip" or "ten_crop"; None: the most accurate on the selection split
    model_options: dict = field(default_factory=dict)
    name: str | None = None
    # Start from a trained model of the same architecture (a .safetensors file; `scripts/ensemble_member.py` takes
    # one member out of an ensemble), e.g. to fine-tune a FER-2013 model on more data at a lower learning rate.
    init_weights: str | None = None
    # Knowledge distillation (Hinton et al., 2015): a trained model folder (e.g. the bundled ensemble) whose softened
    # class probabilities on the training faces the network also learns, so one network can carry what several
    # networks learnt. The loss is (1 - distill_weight) * cross-entropy on the labels + distill_weight *
    # distill_temperature^2 * KL(teacher || network), teacher and network both softened by distill_temperature.
    teacher: str | None = None
    distill_weight: float = 0.5
    distill_temperature: float = 2.0
    # "fixed": the teacher reads each training face once, un-augmented, with its own test-time views (cached);
    # "augmented": it reads every batch as the network sees it, augmentation included ("consistent teaching",
    # Beyer et al., CVPR 2022: a student matches its teacher only when both see the same view), about a quarter
    # more time per epoch for the three-network ensemble.
    teacher_views: str = "fixed"
    # "k/K": train without fold k of K of the first folder's train split (folds by file name, the same for every
    # seed and model) and write every held-out face's calibrated probabilities to holdout.csv. K runs give each
    # training face a prediction from a network that never saw its label: out-of-fold predictions, which confident
    # learning reads to find FER-2013's mislabelled faces (docs/EMOTION.md).
    holdout_fold: str | None = None
    # A CSV with `source` and `label` columns (`facetrust emotion label-issues` writes one): the first folder's train
    # faces it lists (by file name and label) are left out of training, e.g. the faces out-of-fold networks find
    # mislabelled. Every listed face must be a train face, so a list made for other data fails, not removes nothing.
    exclude_faces: str | None = None
    # Soft labels for FER-2013's noisy labels (issue 28): the holdout.csv files of the K `holdout_fold` runs stand in
    # for `teacher`, with its weight and temperature, so each first-folder train face learns its label and what
    # networks that never saw that label make of the face. Every such face needs a row; a further folder's faces
    # (CK+'s posed labels) have none, and learn their label alone there.
    teacher_holdouts: list[str] = field(default_factory=list)


TEACHER_VIEWS = ("fixed", "augmented")
# (positions of a batch's faces in the training split, those faces as the network sees them) -> soft labels
Teaching = Callable[[np.ndarray, list[np.ndarray]], torch.Tensor]


@dataclass
class EmotionSplit:
    """Images (RGB uint8) and class indices of one split."""

    images: list[np.ndarray]
    labels: np.ndarray
    samples: list[EmotionSample]

    def sample(self, limit: int, seed: int) -> EmotionSplit:
        """A seeded sample of at most `limit` faces (the split itself when it is no larger)."""
        if len(self.labels) <= limit:
            return self
        keep = sample_positions(len(self.labels), limit, np.random.default_rng(seed))
        return EmotionSplit([self.images[i] for i in keep], self.labels[keep], [self.samples[i] for i in keep])


def train_emotion(config: EmotionTrainConfig, progress: bool = True) -> Path:
    """Train, select on the selection split, calibrate, write `<out>/model/`; returns that folder."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    pin_settings(out / "config.json", config, f"{out} holds a run with other settings")
    try:
        check_trainable(config.model, config.model_options, config.epochs)
    except ValueError as exc:
        raise FacetrustError(str(exc)) from None
    tta_options = _tta_options(config)  # a wrong name fails here, not after the training it would end
    holdout_fold(config)
    if config.exclude_faces:
        excluded_faces(Path(config.exclude_faces))  # unreadable or without its columns: fail before training
    distilling = bool(config.teacher or config.teacher_holdouts)
    if distilling and not (0.0 <= config.distill_weight <= 1.0 and config.distill_temperature > 0):
        raise FacetrustError(f"distillation needs a weight in 0-1 and a positive temperature; got "
                             f"{config.distill_weight} and {config.distill_temperature}")  # before the data is read
    if config.teacher_views not in TEACHER_VIEWS:
        raise FacetrustError(f"teacher_views {config.teacher_views!r}: use {' or '.join(TEACHER_VIEWS)}")
    out_of_fold = _out_of_fold_teacher(config)
    preprocess = emotion_preprocess(config)
    splits, cleaning, roles = load_emotion_splits(config, progress, out_of_fold)
    torch.manual_seed(config.seed)
    model = create_model(config.model, num_classes=len(EMOTIONS), pretrained=config.pretrained,
                         channels=preprocess.channels, size=preprocess.size, **config.model_options)
    if config.init_weights:
        try:
            fresh = start_from(model, config.init_weights)
        except (OSError, ValueError) as exc:
            raise FacetrustError(f"init_weights {config.init_weights}: {exc}") from None
        if fresh:
            raise FacetrustError(f"init_weights {config.init_weights}: not this architecture (it lacks {fresh[0]})")
    channels_last(model)
    if config.freeze_backbone:
        model.freeze_backbone()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr,
                                  weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=config.lr, epochs=max(config.epochs, 1),
                                                   steps_per_epoch=math.ceil(len(splits["train"].labels)
                                                                             / config.batch_size), pct_start=0.15)
    loss_fn = nn.CrossEntropyLoss(weight=_class_weights(splits["train"].labels) if config.class_weights else None,
                                  label_smoothing=config.label_smoothing)
    augment = EMOTION_AUGMENT if config.augment else Augment.none()
    taught = teaching(config, splits["train"], out, progress, out_of_fold) if distilling else None

    def train_epoch(epoch: int) -> float:
        return _train_epoch(model, splits["train"], preprocess, augment, loss_fn, optimiser, schedule, config, epoch,
                            progress, taught)

    def judge(judged: nn.Module, _epoch: int) -> Judged:
        logits = {name: predict_logits(judged, preprocess, splits[name].images, config.batch_size)
                  for name in roles.select}
        metrics = {name: multiclass_metrics(splits[name].labels, logits[name], EMOTIONS) for name in roles.select}
        accuracy = float(np.mean([m["accuracy"] for m in metrics.values()]))
        macro_f1 = float(np.mean([m["macro_f1"] for m in metrics.values()]))
        pooled = torch.from_numpy(np.concatenate(list(logits.values())))
        loss = float(loss_fn(pooled, torch.from_numpy(np.concatenate([splits[n].labels for n in roles.select]))))
        each = {f"val_accuracy_{name}": m["accuracy"] for name, m in metrics.items()} if len(metrics) > 1 else {}
        mean = "mean " if len(metrics) > 1 else ""
        return Judged(accuracy, {"val_loss": loss, "val_accuracy": accuracy, "val_macro_f1": macro_f1, **each},
                      f"{' + '.join(roles.select)} loss {loss:.4f}, {mean}accuracy {accuracy:.4f}, {mean}macro-F1 "
                      f"{macro_f1:.4f} (one view; the card's figures are on the views chosen after training)")

    history = run_epochs(out, Optimisation(model, optimiser, schedule), config.epochs, config.patience, train_epoch,
                         judge, progress=progress)
    write_history(out, history)
    if config.epochs == 0:  # as-is: e.g. fer's mini-Xception measured as a baseline under the same protocol
        save_weights(out / "best.safetensors", model)
    model.load_state_dict(load_file(str(out / "best.safetensors")))
    return _finish(out, config, model, preprocess, splits, roles, cleaning, history, tta_options, progress)


def emotion_preprocess(config: EmotionTrainConfig) -> Preprocess:
    base = model_entry(config.model).preprocess
    return replace(base, size=config.img_size or base.size, color=config.color or base.color)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SplitRoles:
    """Which split trains (every data folder's train split, pooled), which select (each folder's own selection
    split: their accuracies are averaged, so each folder counts once however large) and which are only measured.
    The first folder's splits keep their names (`public_test`); a further folder's are `<folder>/<split>`."""

    select: tuple[str, ...]
    test: tuple[str, ...]
    train: str = "train"


def load_emotion_splits(config: EmotionTrainConfig, progress: bool, out_of_fold: OutOfFold | None = None
                        ) -> tuple[dict[str, EmotionSplit], str, SplitRoles]:
    """Cleaned splits keyed by name, what cleaning removed (per folder), and which split plays which role.
    `max_per_split` samples each folder's splits before the train splits are pooled, so every folder trains.
    With `out_of_fold` (soft labels), every first-folder train face must have its row."""
    members: dict[str, list[EmotionSample]] = {"train": []}
    cleaning, select, test = [], [], []
    for position, folder in enumerate([config.data, *config.extra_data]):
        found, report = clean(discover_emotions(folder))
        found = [s for s in found if s.label in EMOTIONS]  # CK+'s contempt has no FER-2013 class
        if not any(s.split for s in found):  # by subject, the same for every seed: runs can then be ensembled
            found = [replace(s, split=split_for_group(s.subject)) for s in found]
        names = {s.split for s in found}
        chosen = next((n for n in SELECTION_SPLITS if n in names), "")
        if "train" not in names or not chosen:
            raise FacetrustError(f"{folder}: expression training needs a train split and one of "
                                 f"{', '.join(SELECTION_SPLITS)}; found {sorted(names)}")
        prefix = f"{Path(folder).name}/" if position else ""
        held_out, excluding = "", ""
        if position == 0 and (fold := holdout_fold(config)):
            found = [replace(s, split=HOLDOUT) if s.split == "train" and held_out_by(s, fold) else s for s in found]
            held_out = HOLDOUT
        if position == 0 and config.exclude_faces:
            found, excluded = _without_excluded(found, Path(config.exclude_faces))
            excluding = f"; {len(excluded)} train face(s) excluded by {config.exclude_faces}"
        if position == 0 and out_of_fold is not None:
            _check_covered(found, out_of_fold, config.teacher_holdouts)
        tested = next((n for n in TEST_SPLITS if n in names), "")
        for split in (name for name in ("train", chosen, tested, held_out) if name):
            chosen_members = [s for s in found if s.split == split]
            if config.max_per_split:
                chosen_members = cap_split(chosen_members, config.max_per_split, split, config.seed)
            members.setdefault("train" if split == "train" else prefix + split, []).extend(chosen_members)
        select.append(prefix + chosen)
        if tested:
            test.append(prefix + tested)
        cleaning.append(f"{prefix}{report.summary()}{excluding}")
    splits = {}
    for name, chosen_members in members.items():
        images = [s.image() for s in tqdm(chosen_members, desc=f"reading {name}", unit="img", disable=not progress)]
        splits[name] = EmotionSplit(images, np.array([EMOTIONS.index(s.label) for s in chosen_members]),
                                    chosen_members)
    return splits, "; ".join(cleaning), SplitRoles(select=tuple(select), test=tuple(test))


def holdout_fold(config: EmotionTrainConfig) -> tuple[int, int] | None:
    """(k, K) from `holdout_fold` "k/K" (0 <= k < K, K >= 2), or None when the whole train split trains."""
    if config.holdout_fold is None:
        return None
    k, _, folds = config.holdout_fold.partition("/")
    if not (k.isdigit() and folds.isdigit() and 0 <= int(k) < int(folds) and int(folds) >= 2):
        raise FacetrustError(f"holdout_fold {config.holdout_fold!r}: use k/K with K >= 2 and 0 <= k < K, e.g. 0/2")
    return int(k), int(folds)


def _without_excluded(found: list[EmotionSample], listing: Path) -> tuple[list[EmotionSample], list[str]]:
    """The samples without the train faces `listing` names (a held-out fold's too), and the sources left out."""
    faces = excluded_faces(listing)
    listed = [s.split in ("train", HOLDOUT) and face_key(s.source, s.label) in faces for s in found]
    if unknown := faces - {face_key(s.source, s.label) for s, out in zip(found, listed, strict=True) if out}:
        raise FacetrustError(f"{listing}: {len(unknown)} listed face(s) are not train faces of this data "
                             f"(e.g. {sorted(unknown)[0]})")
    return ([s for s, out in zip(found, listed, strict=True) if not out],
            [s.source for s, out in zip(found, listed, strict=True) if out])


def _check_covered(found: list[EmotionSample], out_of_fold: OutOfFold, files: list[str]) -> None:
    """Every train face needs an out-of-fold row: soft labels made for other data fail, not teach nothing."""
    covered = set(out_of_fold.face_keys)
    missing = [key for s in found if s.split == "train" and (key := face_key(s.source, s.label)) not in covered]
    if missing:
        raise FacetrustError(f"{', '.join(files)}: no out-of-fold row for {len(missing)} train face(s) (e.g. "
                             f"{missing[0]}): give the holdout.csv of every fold, made on this data")


def held_out_by(sample: EmotionSample, fold: tuple[int, int]) -> bool:
    """Whether fold (k, K) holds this face out: its fold comes from its file name alone (the group hash the data
    splits use, seed 0), so every run with K folds, whatever its seed or network, holds out the same faces."""
    k, folds = fold
    return fold_for_group(Path(sample.source).name, folds) == k


def _tta_options(config: EmotionTrainConfig) -> tuple[str | None, ...]:
    """The test-time augmentations the selection split chooses among: all, or the configured one."""
    if config.tta is None:
        return TTA_CHOICES
    if config.tta != "none" and config.tta not in TTA_MODES:
        raise FacetrustError(f"unknown test-time augmentation {config.tta!r}; use none, {', '.join(TTA_MODES)}")
    return (None if config.tta == "none" else config.tta,)


def teaching(config: EmotionTrainConfig, train: EmotionSplit, out: Path, progress: bool,
             out_of_fold: OutOfFold | None = None) -> Teaching:
    """The teacher's softened class probabilities for a training batch, as `config.teacher_views` asks; with
    `out_of_fold`, the out-of-fold soft labels."""
    if out_of_fold is not None:
        fixed = soft_labels(train, out_of_fold, config.distill_temperature)
        return lambda positions, _faces: fixed[positions]
    if config.teacher_views == "fixed":
        fixed = teacher_probabilities(config, train, out, progress)
        return lambda positions, _faces: fixed[positions]
    teacher = _teacher(config)
    network = teacher.runner or teacher.module

    def consistent(_positions: np.ndarray, faces: list[np.ndarray]) -> torch.Tensor:
        logits = predict_logits(network, teacher.preprocess, faces, batch_size=len(faces))  # no views of its own
        return torch.from_numpy(softmax(logits / config.distill_temperature, axis=1)).float()

    return consistent


def _out_of_fold_teacher(config: EmotionTrainConfig) -> OutOfFold | None:
    """The pooled holdout files of `teacher_holdouts`, read before any data so that a wrong file fails first."""
    if not config.teacher_holdouts:
        return None
    if config.teacher:
        raise FacetrustError("teacher and teacher_holdouts: distil from one of them")
    if config.teacher_views != "fixed":
        raise FacetrustError("teacher_holdouts: out-of-fold predictions were made once on un-augmented faces, so "
                             "teacher_views must be fixed")
    return read_holdouts([Path(path) for path in config.teacher_holdouts])


def soft_labels(train: EmotionSplit, out_of_fold: OutOfFold, temperature: float) -> torch.Tensor:
    """Each train face's out-of-fold probabilities softened by `temperature` (p^(1/T), renormalised: what a
    teacher's softmax at T would give), or its one-hot label where no run held it out (a further folder's face)."""
    rows = dict(zip(out_of_fold.face_keys, out_of_fold.probabilities, strict=True))
    targets = np.eye(len(EMOTIONS))[train.labels]
    for position, sample in enumerate(train.samples):
        if (row := rows.get(face_key(sample.source, sample.label))) is not None:
            targets[position] = softmax(np.log(np.maximum(row, 1e-8)) / temperature)
    return torch.from_numpy(targets).float()


def _teacher(config: EmotionTrainConfig) -> LoadedModel:
    try:
        teacher = load_model(config.teacher)
    except FacetrustError as exc:
        raise FacetrustError(f"teacher {config.teacher}: {exc}") from None
    if list(teacher.card.classes) != list(EMOTIONS):
        raise FacetrustError(f"teacher {config.teacher}: its classes {teacher.card.classes} are not {EMOTIONS}")
    return teacher


def teacher_probabilities(config: EmotionTrainConfig, train: EmotionSplit, out: Path, progress: bool) -> torch.Tensor:
    """The teacher's class probabilities at `distill_temperature` for every training face (un-augmented, with
    the teacher's own test-time views), computed once per run and kept in `<out>/teacher_logits.npy`."""
    cached = out / "teacher_logits.npy"
    logits = np.load(cached) if cached.exists() else None
    if logits is None or len(logits) != len(train.labels):
        teacher = _teacher(config)
        chunks = range(0, len(train.images), 1024)
        logits = np.concatenate([teacher.logits(train.images[start:start + 1024]) for start in
                                 tqdm(chunks, desc="teacher's soft labels", unit="chunk", disable=not progress)])
        with atomic_write(cached) as partial:
            np.save(partial, logits)
    return torch.from_numpy(softmax(logits / config.distill_temperature, axis=1)).float()


def _class_weights(labels: np.ndarray) -> torch.Tensor:
    counts = np.bincount(labels, minlength=len(EMOTIONS)).astype(np.float64)
    weights = np.where(counts > 0, 1 / np.sqrt(np.maximum(counts, 1)), 0.0)
    return torch.tensor(weights / weights[counts > 0].mean(), dtype=torch.float32)


def _train_epoch(model: nn.Module, data: EmotionSplit, preprocess: Preprocess, augment: Augment, loss_fn: nn.Module,
                 optimiser: torch.optim.Optimizer, schedule: torch.optim.lr_scheduler.LRScheduler,
                 config: EmotionTrainConfig, epoch: int, progress: bool, taught: Teaching | None = None) -> float:
    """One epoch; with `taught` (the teacher's softened probabilities for a batch) the distillation loss."""
    model.train()
    order = np.random.default_rng([config.seed, epoch]).permutation(len(data.labels))
    labels = torch.from_numpy(data.labels)
    total = 0.0
    for start in tqdm(range(0, len(order), config.batch_size), desc=f"epoch {epoch}/{config.epochs}", unit="batch",
                      disable=not progress, leave=False):
        index = order[start:start + config.batch_size]
        faces = [augment(data.images[i], np.random.default_rng([config.seed, epoch, i])) for i in index]
        images = batch_of(preprocess, faces)
        outputs = model(images)
        loss = loss_fn(outputs, labels[index])
        if taught is not None:
            loss = (1 - config.distill_weight) * loss + config.distill_weight * _distillation_loss(
                outputs, taught(index, faces), config.distill_temperature)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        total += loss.item() * len(index)
    return total / max(len(order), 1)


def _distillation_loss(logits: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || network) at `temperature`, scaled by its square so its gradients keep their size as the
    temperature changes (Hinton et al., 2015)."""
    log_student = torch.log_softmax(logits / temperature, dim=1)
    return nn.functional.kl_div(log_student, teacher, reduction="batchmean") * temperature**2


def _finish(out: Path, config: EmotionTrainConfig, model: nn.Module, preprocess: Preprocess,
            splits: dict[str, EmotionSplit], roles: SplitRoles, cleaning: str,
            history: list[dict], options: tuple[str | None, ...], progress: bool) -> Path:
    """Test-time augmentation (among `options`) and temperature on the selection splits, metrics for every
    split, the card."""
    measured = {name: split.sample(TRAIN_MEASURED, config.seed) if name == "train" else split
                for name, split in splits.items()}
    with tqdm(total=len(options) * len(roles.select) + len(splits) - len(roles.select),
              desc=f"choosing test-time views on {' + '.join(roles.select)}, measuring the other splits", unit="pass",
              disable=not progress) as passes:  # minutes after the last epoch
        selected: dict[str | None, dict[str, np.ndarray]] = {}
        for option in options:
            selected[option] = {}
            for name in roles.select:
                selected[option][name] = predict_logits(model, preprocess, splits[name].images, config.batch_size,
                                                        tta=option)
                passes.update()
        accuracy = {option: float(np.mean([multiclass_metrics(splits[name].labels, selected[option][name],
                                                              EMOTIONS)["accuracy"] for name in roles.select]))
                    for option in options}
        tta = max(options, key=lambda t: accuracy[t])  # on a tie the first, i.e. the cheapest
        logits = dict(selected[tta])
        for name in (n for n in splits if n not in roles.select):
            logits[name] = predict_logits(model, preprocess, measured[name].images, config.batch_size, tta=tta)
            passes.update()
    temperature = fit_temperature(np.concatenate([logits[n] for n in roles.select]),
                                  np.concatenate([splits[n].labels for n in roles.select]))
    probabilities = {name: softmax(logits[name] / temperature, axis=1) for name in splits}
    metrics = {name: multiclass_metrics(measured[name].labels, probabilities[name], EMOTIONS) for name in splits}
    if measured["train"] is not splits["train"]:
        metrics["train"]["sampled_from"] = len(splits["train"].labels)
    card = {
        "name": config.name or f"{config.model}-emotion-{Path(config.data).name}",
        "version": datetime.now(UTC).strftime("%Y%m%d-%H%M%S"),
        "task": "emotion",
        "architecture": config.model,
        "architecture_options": {"channels": preprocess.channels, "size": preprocess.size,
                                 **{k: v for k, v in config.model_options.items() if k != "weights"}},
        "classes": list(EMOTIONS),
        "inputs": ["image"],
        "preprocess": preprocess.to_dict(),
        "faces": {"detector": "mtcnn", "mode": "whole", "size": preprocess.size, "margin": FER_FRAMING_MARGIN},
        "temperature": temperature,
        "tta": tta,
        "selection": {"split": " + ".join(roles.select),
                      "rule": "best accuracy" if len(roles.select) == 1 else "best mean accuracy of the splits",
                      "tta_accuracy": {tta or "none": value for tta, value in accuracy.items()}},
        "training": {"config": asdict(config), "roles": asdict(roles), "cleaning": cleaning,
                     "splits": {name: {e: int((s.labels == k).sum()) for k, e in enumerate(EMOTIONS)}
                                for name, s in splits.items()},
                     "epochs_run": len(history)},
        "metrics": metrics,
        "code_version": facetrust.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if HOLDOUT in splits:
        write_holdout(out / "holdout.csv", splits[HOLDOUT].samples, probabilities[HOLDOUT])
    if history:
        save_training_curves(out / "curves.png", history, ("val_accuracy", "val_macro_f1"))
    return save_model(out / "model", model, ModelCard.model_validate(card))
