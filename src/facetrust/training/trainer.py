"""Training a real/fake detector end to end: data, face crops, loop, model selection on validation.

Every finished epoch is saved to `last.pt` (weights, optimiser, schedule, history), so an interrupted
run continues from there when started again with the same output folder and settings. The model kept
is the best epoch on validation ROC-AUC; temperature and threshold are fitted on validation too. The
test split, when present, is only measured, never used to choose anything.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from timm.utils import ModelEmaV3
from torch import nn
from tqdm import tqdm

import facetrust
from facetrust.data.augment import Augment
from facetrust.data.datasets import assign_splits, discover, find_duplicates, sample_positions, split_counts
from facetrust.data.face_crops import CropSet, crop_samples
from facetrust.embeddings import FaceEncoder, encode_crops
from facetrust.errors import FacetrustError
from facetrust.evaluation import binary_metrics, choose_threshold, fit_temperature
from facetrust.evaluation.plots import save_training_curves
from facetrust.faces import DEFAULT_DETECTOR, FaceFinder
from facetrust.models import create_model, model_entry
from facetrust.models.checkpoint import save_model, save_weights
from facetrust.models.inference import batch_of, channels_last, extra_inputs, predict_logits, sigmoid
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import check_trainable
from facetrust.settings_lock import pin_settings
from facetrust.training.checkpointing import resume_run, save_last, write_history
from facetrust.training.distributed import Workers, join_workers

NO_FACE_RULE = "a crop where dlib finds no face gets a zero encoding and found-flag 0; it is kept, not dropped"


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
    patience: int = 4
    seed: int = 0
    detector: str = DEFAULT_DETECTOR
    face_mode: str = "auto"
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


def train(config: TrainConfig, progress: bool = True) -> Path:
    """Train, select on validation, calibrate, and write `<out>/model/` (weights + card). Returns that folder.

    Under torchrun, every process runs this and trains on its share of each batch (see `distributed`).
    """
    out = Path(config.out)
    workers = join_workers()
    progress = progress and workers.leader
    if workers.leader:
        out.mkdir(parents=True, exist_ok=True)
        pin_settings(out / "config.json", asdict(config), f"{out} holds a run with other settings")
    augment = _augment(config)
    preprocess = _preprocess(config)
    try:
        check_trainable(config.model, config.model_options, config.epochs)
    except ValueError as exc:
        raise FacetrustError(str(exc)) from None
    if not workers.leader:
        workers.wait_for_all()  # the leader finds the faces first; the others then read its crop cache
    splits, duplicates, skipped = _load_splits(config, preprocess, progress)
    if workers.leader:
        workers.wait_for_all()
    torch.manual_seed(config.seed)  # here, not earlier: building a face detector on a crop-cache miss draws numbers too
    model = create_model(config.model, pretrained=config.pretrained, channels=preprocess.channels,
                         size=preprocess.size, **config.model_options)
    channels_last(model)
    if config.freeze_backbone:
        model.freeze_backbone()
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(splits["train"].crops) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=config.lr, epochs=config.epochs,
                                                   steps_per_epoch=steps_per_epoch, pct_start=0.15)
    trained = workers.wrap(model)
    ema = ModelEmaV3(model, decay=config.ema_decay, use_warmup=True) if config.ema_decay else None
    state = resume_run(out, model, optimiser, schedule, ema)
    train_labels = splits["train"].labels
    pos_weight = torch.tensor((train_labels == 0).sum() / max((train_labels == 1).sum(), 1), dtype=torch.float32)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)

    for epoch in range(state["epoch"] + 1, config.epochs + 1):
        if state["bad_epochs"] >= config.patience:
            break
        started = time.perf_counter()
        train_loss = _train_epoch(trained, splits["train"], preprocess, augment, loss_fn, optimiser, schedule,
                                  config, epoch, progress, ema, workers)
        judged = ema.module if ema else model
        val_logits = predict_logits(judged, preprocess, splits["val"].crops, config.batch_size,
                                    encodings=splits["val"].encodings)
        val = binary_metrics(splits["val"].labels, sigmoid(val_logits))
        val_loss = float(loss_fn(torch.tensor(val_logits), torch.tensor(splits["val"].labels, dtype=torch.float32)))
        score = val["roc_auc"] if val["roc_auc"] is not None else val["accuracy"]
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_roc_auc": val["roc_auc"],
               "val_balanced_accuracy": val["balanced_accuracy"], "seconds": time.perf_counter() - started,
               "lr": schedule.get_last_lr()[0]}
        state["history"].append(row)
        if score > state["best"]:
            state["best"], state["bad_epochs"] = score, 0
            if workers.leader:
                save_weights(out / "best.safetensors", judged)
        else:
            state["bad_epochs"] += 1
        state["epoch"] = epoch
        if workers.leader:
            save_last(out, model, optimiser, schedule, state, ema)
        if progress:
            tqdm.write(f"epoch {epoch}: train loss {train_loss:.4f}, val loss {val_loss:.4f}, "
                       f"val AUC {val['roc_auc']}, best {state['best']:.4f}")

    workers.wait_for_all()
    if workers.leader:
        write_history(out, state["history"])
        model.load_state_dict(load_file(str(out / "best.safetensors")))
        _finish(out, config, model, preprocess, splits, duplicates, skipped, state["history"])
    workers.wait_for_all()
    return out / "model"


def _augment(config: TrainConfig) -> Augment:
    if not config.augment:
        return Augment.none()
    unknown = set(config.augment_options) - set(Augment.__dataclass_fields__)
    if unknown:
        raise FacetrustError(f"unknown augment_options {sorted(unknown)}; known: "
                             f"{', '.join(Augment.__dataclass_fields__)}")
    return Augment(**config.augment_options)


def _preprocess(config: TrainConfig) -> Preprocess:
    base = model_entry(config.model).preprocess
    return replace(base, size=config.img_size or base.size, color=config.color)  # type: ignore[arg-type]


def _load_splits(config: TrainConfig, preprocess: Preprocess, progress: bool) -> tuple[dict[str, CropSet], dict,
                                                                                          list]:
    samples, report = find_duplicates(assign_splits(discover(config.data), seed=config.seed))
    by_split = {name: [s for s in samples if s.split == name] for name in ("train", "val", "test")}
    if not by_split["train"] or not by_split["val"]:
        raise FacetrustError(f"{config.data}: training needs train and validation images; found "
                             f"{split_counts(samples)}")
    if config.max_per_split:
        rng = np.random.default_rng(config.seed)
        by_split = {k: [v[i] for i in sample_positions(len(v), config.max_per_split, rng)]
                    for k, v in by_split.items()}
    if config.train_fraction < 1.0:
        by_split["train"] = _stratified_share(by_split["train"], config.train_fraction, config.seed)
    finder = FaceFinder(config.detector, mode=config.face_mode, size=preprocess.size, margin=config.margin,
                        all_faces=False)
    splits = {name: crop_samples(items, finder, f"faces in {name}", progress) for name, items in by_split.items()}
    if model_entry(config.model).needs_encodings:
        for crop_set in splits.values():
            crop_set.encodings = encode_crops(crop_set.crops, progress=progress)
    for name in ("train", "val"):
        if len(set(splits[name].labels.tolist())) < 2:
            raise FacetrustError(f"{config.data}: the {name} split needs both real and fake faces")
    duplicates = {"summary": report.summary(), "dropped": [str(p) for p in report.dropped]}
    skipped = [item for crop_set in splits.values() for item in crop_set.skipped]
    return splits, duplicates, skipped


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


def _train_epoch(model: nn.Module, data: CropSet, preprocess: Preprocess, augment: Augment, loss_fn: nn.Module,
                 optimiser: torch.optim.Optimizer, schedule: torch.optim.lr_scheduler.LRScheduler,
                 config: TrainConfig, epoch: int, progress: bool, ema: ModelEmaV3 | None,
                 workers: Workers) -> float:
    """One pass over the training crops; returns the mean loss over this process's samples."""
    model.train()
    order = np.random.default_rng([config.seed, epoch]).permutation(len(data.crops))
    labels = torch.tensor(data.labels, dtype=torch.float32)
    total, seen = 0.0, 0
    batches = range(0, len(order), config.batch_size)
    for start in tqdm(batches, desc=f"epoch {epoch}/{config.epochs}", unit="batch", disable=not progress,
                      leave=False):
        batch = order[start:start + config.batch_size]
        if len(batch) < workers.world:
            continue  # a last batch too small to give every process a sample: all of them skip it
        index = workers.share(batch)
        images = batch_of(preprocess, [augment(data.crops[i], np.random.default_rng([config.seed, epoch, i]))
                                       for i in index])
        loss = loss_fn(model(images, *extra_inputs(data.encodings, index)), labels[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if ema:
            ema.update(getattr(model, "module", model), step=schedule.last_epoch)
        total += loss.item() * len(index)
        seen += len(index)
    return total / max(seen, 1)


def _finish(out: Path, config: TrainConfig, model: nn.Module, preprocess: Preprocess, splits: dict[str, CropSet],
            duplicates: dict, skipped: list, history: list[dict]) -> Path:
    """Decide on flip TTA, calibrate and choose the threshold on validation, measure every split, write the card."""
    tta, val_logits = _choose_flip(model, preprocess, splits["val"], config)
    logits = {name: val_logits if name == "val" else
              predict_logits(model, preprocess, s.crops, config.batch_size, tta=tta, encodings=s.encodings)
              for name, s in splits.items()}
    temperature = fit_temperature(logits["val"], splits["val"].labels)
    val_p = sigmoid(logits["val"], temperature)
    threshold = choose_threshold(splits["val"].labels, val_p, config.target_recall)
    metrics = {name: binary_metrics(s.labels, sigmoid(logits[name], temperature), threshold)
               for name, s in splits.items() if len(s.crops)}
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
        "faces": {"detector": config.detector, "mode": config.face_mode, "size": preprocess.size,
                  "margin": config.margin},
        "threshold": threshold,
        "threshold_rule": f"recall >= {config.target_recall} on validation" if config.target_recall
        else "best balanced accuracy on validation",
        "temperature": temperature,
        "tta": tta,
        "tta_rule": "as configured" if config.tta is not None else "flip only if it raises validation ROC-AUC",
        "training": {"config": asdict(config), "splits": {k: {"real": int((s.labels == 0).sum()),
                                                              "fake": int((s.labels == 1).sum())}
                                                          for k, s in splits.items()},
                     "duplicates": duplicates, "skipped": skipped[:50], "skipped_count": len(skipped),
                     "epochs_run": len(history), "best_epoch": _best_epoch(history)},
        "metrics": metrics,
        "code_version": facetrust.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    save_training_curves(out / "curves.png", history)
    return save_model(out / "model", model, card)


def _encoding_card(splits: dict[str, CropSet]) -> dict:
    """For models reading face encodings: which encoder, and how many crops per split dlib found no face in."""
    if splits["train"].encodings is None:
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
    auc = {tta: binary_metrics(val.labels, sigmoid(found))["roc_auc"] or 0.0 for tta, found in logits.items()}
    chosen = max(options, key=lambda tta: auc[tta])  # on a tie the first, i.e. no TTA (cheaper)
    return chosen, logits[chosen]


def _best_epoch(history: list[dict]) -> int | None:
    scored = [h for h in history if h["val_roc_auc"] is not None]
    return max(scored, key=lambda h: h["val_roc_auc"])["epoch"] if scored else None
