"""`facetrust emotion ...`: train and evaluate facial-expression models (the FER-2013 classes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from facetrust.bundled import default_emotion_model_path
from facetrust.cli.support import MaxPerSplitOpt, SeedOpt, crop_mode, errors_exit_2, resumable

emotion_app = typer.Typer(no_args_is_help=True, help="Facial expressions: angry, disgust, fear, happy, sad, "
                          "surprise, neutral.")


@emotion_app.command("train")
def train_command(
    data: Annotated[Path, typer.Option(help="FER-2013 folders (train/public_test/private_test), <label>/ folders "
                                       "or the FER-2013 CSV.")],
    out: Annotated[Path, typer.Option(help="Run folder; re-run with the same folder to resume.")],
    extra_data: Annotated[list[Path] | None, typer.Option(help="Another expression folder to train on too (e.g. "
                                                          "CK+, split by subject); selection averages each folder's "
                                                          "selection-split accuracy. Repeat for several.")] = None,
    model: Annotated[str, typer.Option(help="Architecture (see `facetrust models`).")] = "effnet_lite0",
    epochs: Annotated[int, typer.Option(help="0 measures the pretrained model as it is (e.g. fer's "
                                        "mini-Xception) under the same protocol.")] = 20,
    batch_size: Annotated[int, typer.Option()] = 64,
    lr: Annotated[float, typer.Option(help="Peak learning rate (one-cycle schedule, AdamW).")] = 1e-3,
    img_size: Annotated[int | None, typer.Option(help="Input size (default: the architecture's).")] = None,
    color: Annotated[str | None, typer.Option(help="rgb or gray (default: the architecture's).")] = None,
    freeze_backbone: Annotated[bool, typer.Option("--freeze-backbone", help="Train the head only.")] = False,
    augment: Annotated[bool, typer.Option("--augment/--no-augment")] = True,
    pretrained: Annotated[bool, typer.Option("--pretrained/--scratch")] = True,
    label_smoothing: Annotated[float, typer.Option()] = 0.1,
    seed: SeedOpt = 0,
    max_per_split: MaxPerSplitOpt = None,
    name: Annotated[str | None, typer.Option(help="Model name for its card (default: architecture and data).")] = None,
    init_weights: Annotated[Path | None, typer.Option(help="Start from these weights of the same architecture "
                                                      "(.safetensors).")] = None,
    teacher: Annotated[Path | None, typer.Option(help="Distil this trained expression model (e.g. the bundled "
                                                 "ensemble): also learn its softened probabilities.")] = None,
    distill_weight: Annotated[float, typer.Option(help="Share of the loss given to the teacher (0-1).")] = 0.5,
    distill_temperature: Annotated[float, typer.Option(help="Softening temperature of the distillation.")] = 2.0,
    teacher_views: Annotated[str, typer.Option(help="fixed: the teacher reads each face once, un-augmented; "
                                               "augmented: every batch as the network sees it.")] = "fixed",
    holdout_fold: Annotated[str | None, typer.Option(help="k/K: train without fold k of K of the train split and "
                                                     "write the held-out faces' probabilities to holdout.csv "
                                                     "(out-of-fold predictions).")] = None,
    exclude_faces: Annotated[Path | None, typer.Option(help="A CSV with source and label columns (e.g. from `facetrust "
                                                       "emotion label-issues`): do not train on these train "
                                                       "faces.")] = None,
    teacher_holdout: Annotated[list[Path] | None, typer.Option(help="Soft labels: the holdout.csv of each "
                                                               "`--holdout-fold k/K` run, one per fold, as the "
                                                               "teacher (instead of --teacher).")] = None,
) -> None:
    """Train an expression model; selection on public_test (or val), private_test (or test) only measured."""
    from facetrust.emotion.training import EmotionTrainConfig, train_emotion

    config = EmotionTrainConfig(data=str(data), out=str(out), extra_data=[str(f) for f in extra_data or []],
                                model=model, epochs=epochs, batch_size=batch_size,
                                lr=lr, img_size=img_size, color=color, freeze_backbone=freeze_backbone,
                                augment=augment, pretrained=pretrained, label_smoothing=label_smoothing, seed=seed,
                                max_per_split=max_per_split, name=name,
                                init_weights=str(init_weights) if init_weights else None,
                                teacher=str(teacher) if teacher else None, distill_weight=distill_weight,
                                distill_temperature=distill_temperature, teacher_views=teacher_views,
                                holdout_fold=holdout_fold,
                                exclude_faces=str(exclude_faces) if exclude_faces else None,
                                teacher_holdouts=[str(f) for f in teacher_holdout or []])
    with errors_exit_2(), resumable("finished epochs are saved"):
        folder = train_emotion(config)
    _echo_card_metrics(folder)


@emotion_app.command("label-issues")
def label_issues_command(
    holdout: Annotated[list[Path], typer.Option(help="The holdout.csv of each `emotion train --holdout-fold k/K` "
                                                "run, one per fold.")],
    out: Annotated[Path, typer.Option(help="CSV of the flagged faces (source, label, suggested, "
                                      "label_probability), for `emotion train --exclude-faces`.")],
    max_label_probability: Annotated[float, typer.Option(help="Flag a face only if its own label gets less than "
                                                         "this out-of-fold probability.")] = 0.1,
    sheet: Annotated[Path | None, typer.Option(help="Also draw a random sample of each class's flagged faces "
                                               "(PNG), to look at before training without them.")] = None,
) -> None:
    """Find training faces whose label out-of-fold networks confidently reject (confident learning, cleanlab)."""
    from facetrust.emotion.label_issues import find_issues, read_holdouts, save_issue_sheet, write_issues
    from facetrust.emotion.labels import EMOTIONS

    with errors_exit_2():
        predictions = read_holdouts(holdout)
        flags = find_issues(predictions, max_label_probability)
        issues = flags.issues
        write_issues(out, predictions, issues)
        if sheet:
            save_issue_sheet(sheet, predictions, issues)
    accuracy = float((predictions.probabilities.argmax(axis=1) == predictions.labels).mean())
    typer.echo(f"{len(predictions.labels)} faces, out-of-fold accuracy {accuracy:.4f}; flagged {int(issues.sum())} "
               f"({issues.mean():.1%}) -> {out}; confident learning alone {int(flags.by_confident_learning.sum())} "
               f"({flags.by_confident_learning.mean():.1%})")
    for k, emotion in enumerate(EMOTIONS):
        labelled = predictions.labels == k
        typer.echo(f"  {emotion:<9} {int(issues[labelled].sum()):>5} of {int(labelled.sum()):>5}")


@emotion_app.command("ensemble")
def ensemble_command(
    data: Annotated[Path, typer.Option(help="The data the members were trained on (its selection split chooses "
                                       "flip averaging and the temperature; every split is measured).")],
    model: Annotated[list[Path], typer.Option(help="A trained expression model folder; give two or more.")],
    out: Annotated[Path, typer.Option(help="Run folder; the ensemble is written to OUT/model.")],
    extra_data: Annotated[list[Path] | None, typer.Option(help="Another folder the members trained on (e.g. CK+): "
                                                          "its selection split joins the choice.")] = None,
    tta: Annotated[str | None, typer.Option(help="Test-time views: none, flip or ten_crop (default: the most "
                                            "accurate on the selection splits).")] = None,
    name: Annotated[str | None, typer.Option(help="Model name for its card.")] = None,
    max_per_split: MaxPerSplitOpt = None,
) -> None:
    """Average trained expression models (equal weights, nothing fitted but the temperature) into one model."""
    from facetrust.emotion.training import EmotionTrainConfig, train_emotion
    from facetrust.models.ensemble import check_members, member_spec

    with errors_exit_2():
        members = [member_spec(folder) for folder in model]
        check_members(members, task="emotion")
        config = EmotionTrainConfig(
            data=str(data), out=str(out), extra_data=[str(f) for f in extra_data or []], tta=tta,
            model="ensemble", epochs=0, color="rgb",
            img_size=max(m["preprocess"]["size"] for m in members), max_per_split=max_per_split,
            name=name or "ensemble-" + "+".join(m["name"] for m in members),
            model_options={"members": members, "weights": [str(folder) for folder in model]})
        folder = train_emotion(config)
    _echo_card_metrics(folder)


@emotion_app.command("study")
def study_command(
    data: Annotated[list[str], typer.Option(help="A labelled dataset; append :detect to find faces first (photos "
                                            "that are not face crops). Repeat for several.")],
    out: Annotated[Path, typer.Option(help="Study folder: study.md/.csv/.json, confusions-<model>.png, "
                                      "<model>/<data>/metrics.json.")],
    model: Annotated[list[Path] | None, typer.Option(help="Expression model folder; repeat to compare models "
                                                     "in one run (default: the bundled one).")] = None,
    ai_data: Annotated[list[str] | None, typer.Option(help="A labelled set of AI-generated faces (same syntax as "
                                                      "--data): measured against every --data set by the gap, "
                                                      "accuracy on AI faces minus on real faces of the same "
                                                      "classes.")] = None,
) -> None:
    """Several expression models on several datasets in one run: e.g. real vs AI-generated faces."""
    from facetrust.emotion.study import StudyData, run_study

    with errors_exit_2():
        datas = [StudyData.parse(text) for text in data] + [StudyData.parse(text, True) for text in ai_data or []]
        run_study(model or [default_emotion_model_path()], datas, out)
    typer.echo((out / "study.md").read_text(encoding="utf-8"))
    if (out / "gap.md").is_file():
        typer.echo("Real-vs-AI gap (accuracy on AI faces minus on real faces of the same classes):\n"
                   + (out / "gap.md").read_text(encoding="utf-8"))
    typer.echo(f"confusion matrices and per-dataset metrics in {out}")


def _echo_card_metrics(folder: Path) -> None:
    from facetrust.models.checkpoint import load_model

    card = load_model(folder, backend="torch").card
    for split, metrics in card.metrics.items():
        sample = f" sampled from {metrics['sampled_from']}" if "sampled_from" in metrics else ""
        typer.echo(f"{split}: accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f} "
                   f"(n={metrics['n']}{sample})")
    typer.echo(f"model written to {folder}")


@emotion_app.command("evaluate")
def evaluate_command(
    data: Annotated[Path, typer.Option(help="<label>/ folders (any subset of the classes) or the FER-2013 CSV.")],
    model: Annotated[Path | None, typer.Option(help="Expression model folder (default: the bundled one).")] = None,
    face_mode: Annotated[str | None, typer.Option(
        "--face-mode", help="whole: images are face crops (the default for models trained on FER-2013); detect: "
        "find the largest face first.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write metrics.json and confusion.png here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Accuracy, macro-F1, per-class precision/recall and the confusion matrix on labelled faces."""
    from facetrust.emotion.evaluate import evaluate_emotion, write_emotion_evaluation
    from facetrust.models.checkpoint import load_model

    with errors_exit_2():
        loaded = load_model(model or default_emotion_model_path())
        evaluation = evaluate_emotion(loaded, data, crop_mode(face_mode) if face_mode else None)
    if out:
        write_emotion_evaluation(evaluation, out, f"{loaded.name} on {data.name}")
    metrics = evaluation.metrics
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    typer.echo(f"{loaded.name} on {data}: n={metrics['n']}, accuracy {metrics['accuracy']:.4f}, "
               f"macro-F1 {metrics['macro_f1']:.4f}")
    for name, row in metrics["per_class"].items():
        typer.echo(f"  {name:9s} precision {row['precision']:.3f} recall {row['recall']:.3f} (n={row['n']})")
    for key in ("note", "not_scored", "no_face", "cleaning"):
        if metrics.get(key):
            typer.echo(f"  {key}: {metrics[key]}")
