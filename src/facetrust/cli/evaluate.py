"""`facetrust evaluate`, `report`, `map` and `plot ...`: measuring a detector and drawing it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from facetrust.bundled import default_model_path
from facetrust.cli.support import errors_exit_2, fail


def evaluate(
    data: Annotated[Path, typer.Option(help="Folder with real/ and fake/ (any layout train accepts) or a manifest.")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    threshold: Annotated[float | None, typer.Option(help="Decision threshold (default: the model's).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write metrics.json, scores.csv and ROC/PR/confusion PNGs.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Measure a detector on labelled data: accuracy, precision, recall, F1, ROC-AUC, AP, EER, ECE."""
    from facetrust.models.checkpoint import load_model
    from facetrust.studies.evaluate import evaluate_model, write_evaluation

    with errors_exit_2():
        loaded = load_model(model or default_model_path())
        evaluation = evaluate_model(loaded, data, threshold)
    if out:
        write_evaluation(evaluation, out, f"{loaded.name} on {data.name}")
    if as_json:
        typer.echo(json.dumps(evaluation.metrics, indent=2))
    else:
        m = evaluation.metrics
        typer.echo(f"{loaded.name} on {data}: {m['n_real']} real, {m['n_fake']} fake, {m['skipped']} skipped")
        for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "ap", "eer", "ece", "fpr", "threshold"):
            typer.echo(f"  {key:10s} {'-' if m[key] is None else f'{m[key]:.4f}'}")
        typer.echo(f"  confusion  {m['confusion']} (rows: true real, fake; columns: predicted real, fake)")


def report(
    data: Annotated[list[Path], typer.Option(help="Labelled folder (real/ and fake/); repeat for cross-dataset "
                                             "columns. The first gets robustness, groups, galleries and the map.")],
    out: Annotated[Path, typer.Option(help="Folder for index.html, report.json and img/.")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    attributes: Annotated[Path | None, typer.Option(help="CSV with a path (or file) column and attribute columns "
                                                    "(e.g. gender, age group) for per-group slices.")] = None,
    degradations: Annotated[str | None, typer.Option(help="Comma-separated degradations (default: every one of "
                                                      "docs/REPORT.md's robustness table).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the degradations, the Grad-CAM sample and the map.")] = 0,
    embedding_map: Annotated[bool, typer.Option("--map/--no-map", help="Draw the UMAP embedding map.")] = True,
    keep_degraded: Annotated[bool, typer.Option("--keep-degraded", help="Keep the degraded images in "
                                                "OUT/degraded/ (evaluate them to check the numbers).")] = False,
) -> None:
    """An evidence report: cross-dataset metrics, calibration, robustness, per-group slices, worst errors,
    Grad-CAM and an embedding map, as HTML and JSON."""
    from facetrust.report.build import ReportConfig, build_report
    from facetrust.report.degrade import DEGRADATIONS

    chosen = tuple(d.strip() for d in degradations.split(",") if d.strip()) if degradations else tuple(DEGRADATIONS)
    unknown = [d for d in chosen if d not in DEGRADATIONS]
    if unknown:
        raise typer.BadParameter(f"{', '.join(unknown)}: choose from {', '.join(DEGRADATIONS)}",
                                 param_hint="--degradations")
    config = ReportConfig(data=[str(d) for d in data], out=str(out), model=str(model) if model else None,
                          attributes=str(attributes) if attributes else None, degradations=chosen, seed=seed,
                          embedding_map=embedding_map, keep_degraded=keep_degraded)
    with errors_exit_2():
        built = build_report(config)
    for name, metrics in built["datasets"].items():
        typer.echo(f"{name}: ROC-AUC {_fmt(metrics['roc_auc'])}, accuracy {_fmt(metrics['accuracy'])}, "
                   f"n={metrics['n']}")
    typer.echo(f"report written to {out / 'index.html'}")


def map_command(
    data: Annotated[Path, typer.Option(help="Labelled folder (real/ and fake/) or manifest.")],
    out: Annotated[Path, typer.Option(help="PNG to write (a JSON of the clusters is written beside it).")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for UMAP (the same seed draws the same map).")] = 0,
) -> None:
    """Embedding map: the model's penultimate features by UMAP in 2-D, HDBSCAN clusters, label and errors."""
    from facetrust.models.checkpoint import load_model
    from facetrust.report.build import evaluated_crops
    from facetrust.report.embedding import embedding_map
    from facetrust.studies.evaluate import evaluate_model

    with errors_exit_2():
        loaded = load_model(model or default_model_path())
        evaluation = evaluate_model(loaded, data)
        clusters = embedding_map(loaded, evaluation, evaluated_crops(loaded, evaluation), seed, out, data.name)
    out.with_suffix(".json").write_text(json.dumps(clusters, indent=2), encoding="utf-8")
    for cluster in clusters:
        name = "noise" if cluster["cluster"] < 0 else f"cluster {cluster['cluster']}"
        typer.echo(f"{name}: {cluster['n']} faces, {cluster['fake_share']:.0%} fake, "
                   f"accuracy {cluster['accuracy']:.3f}")
    typer.echo(f"map written to {out}")


def plot_encoding_norms(
    data: Annotated[Path, typer.Option(help="Labelled data (any layout `train` accepts).")],
    out: Annotated[Path, typer.Option(help="PNG to write.")],
) -> None:
    """Histogram of face-encoding norms for real vs fake images."""
    from facetrust.data.datasets import discover
    from facetrust.embeddings import encode_samples
    from facetrust.evaluation.plots import save_encoding_norms

    with errors_exit_2():
        found = encode_samples(discover(data))
    missing = {name: sum(1 for s, _ in found.missing if s.label == value)
               for value, name in enumerate(("real", "fake"))}
    out.parent.mkdir(parents=True, exist_ok=True)
    save_encoding_norms(out, found.labels, found.encodings, missing, f"face-encoding norms: {data}")
    typer.echo(f"wrote {out} ({len(found.samples)} encodings; no face: {missing})")


def plot_confusions(
    metrics: Annotated[list[Path], typer.Argument(help="metrics.json files written by `evaluate --out` or "
                                                  "`emotion evaluate --out`.")],
    out: Annotated[Path, typer.Option(help="PNG to write.")],
) -> None:
    """Confusion matrices side by side (e.g. one expression model on real and on AI-generated faces)."""
    from facetrust.evaluation.plots import confusion_panel, save_confusion_matrices

    panels = []
    for path in metrics:
        try:
            panels.append(confusion_panel(json.loads(path.read_text(encoding="utf-8")), path.parent.name))
        except (OSError, ValueError, KeyError) as exc:
            fail(f"{path}: not a metrics.json with a confusion matrix ({type(exc).__name__}: {exc})")
    out.parent.mkdir(parents=True, exist_ok=True)
    save_confusion_matrices(out, panels)
    typer.echo(f"wrote {out} ({len(panels)} confusion matrices)")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
