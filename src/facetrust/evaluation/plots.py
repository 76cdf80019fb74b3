"""Pictures of results: ROC, precision-recall, confusion matrix, score histogram, training curves."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

TITLE_WIDTH = 48  # characters per title line over a confusion matrix of about 7 classes


def save_evaluation_plots(folder: Path, labels: np.ndarray, p_fake: np.ndarray, metrics: dict,
                          title: str) -> list[Path]:
    """roc.png and pr.png (when both classes are present), confusion.png and scores.png."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if metrics["roc_auc"] is not None:
        fpr, tpr, _ = roc_curve(labels, p_fake)
        written.append(_line_plot(folder / "roc.png", fpr, tpr, "false-positive rate (real called fake)",
                                  "true-positive rate (fakes caught)", f"{title}: ROC, AUC {metrics['roc_auc']:.3f}",
                                  diagonal=True))
        precision, recall, _ = precision_recall_curve(labels, p_fake)
        written.append(_line_plot(folder / "pr.png", recall, precision, "recall (fakes caught)", "precision",
                                  f"{title}: precision-recall, AP {metrics['ap']:.3f}"))
    written.append(_confusion(folder / "confusion.png", np.array(metrics["confusion"]), title, metrics["threshold"]))
    written.append(_histogram(folder / "scores.png", labels, p_fake, metrics["threshold"], title))
    return written


def save_training_curves(path: Path, history: list[dict],
                         metrics: tuple[str, ...] = ("val_roc_auc", "val_balanced_accuracy")) -> Path:
    """Training loss and validation metrics per epoch."""
    epochs = [h["epoch"] for h in history]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, [h["train_loss"] for h in history], marker="o", label="train loss")
    left.plot(epochs, [h["val_loss"] for h in history], marker="o", label="validation loss")
    left.set_xlabel("epoch")
    left.legend()
    for key in metrics:
        right.plot(epochs, [h[key] for h in history], marker="o", label=key.replace("_", " "))
    right.set_xlabel("epoch")
    right.set_ylim(0.0 if min(h[k] for h in history for k in metrics) < 0.4 else 0.4, 1.0)
    right.legend()
    return save_figure(figure, path)


def save_figure(figure: plt.Figure, path: Path) -> Path:
    """Lay out, write at 100 dpi and close (figures left open leak memory in long runs). The saved area grows to
    hold every title and label: tight_layout alone clips them around equal-aspect panels (confusion matrices)."""
    figure.tight_layout()
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def save_roc_overlay(path: Path, curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> Path:
    """ROC curves of several scorers (or datasets) on one plot; `curves` maps a name to (labels, scores)."""
    def draw(axes: plt.Axes, name: str, labels: np.ndarray, scores: np.ndarray) -> None:
        fpr, tpr, _ = roc_curve(labels, scores)
        axes.plot(fpr, tpr, linewidth=2, label=f"{name} (AUC {auc(fpr, tpr):.3f})")

    figure, axes = _overlay(curves, draw)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey")
    axes.set(xlabel="false-positive rate (real called fake)", ylabel="true-positive rate (fakes caught)",
             title=title, xlim=(0, 1), ylim=(0, 1.02))
    axes.legend(loc="lower right", fontsize=8)
    return save_figure(figure, path)


def save_pr_overlay(path: Path, curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> Path:
    """Precision-recall curves of several scorers (or datasets) on one plot, like `save_roc_overlay`."""
    def draw(axes: plt.Axes, name: str, labels: np.ndarray, scores: np.ndarray) -> None:
        precision, recall, _ = precision_recall_curve(labels, scores)
        axes.plot(recall, precision, linewidth=2, label=f"{name} (AP {average_precision_score(labels, scores):.3f})")

    figure, axes = _overlay(curves, draw)
    axes.set(xlabel="recall (fakes caught)", ylabel="precision", title=title, xlim=(0, 1), ylim=(0, 1.02))
    axes.legend(loc="lower left", fontsize=8)
    return save_figure(figure, path)


def _overlay(curves: dict[str, tuple[np.ndarray, np.ndarray]],
             draw: Callable[[plt.Axes, str, np.ndarray, np.ndarray], None]) -> tuple[plt.Figure, plt.Axes]:
    """One axes with `draw` applied to every (name, labels, scores) that holds both classes."""
    figure, axes = plt.subplots(figsize=(5.5, 5.5))
    for name, (labels, scores) in curves.items():
        if len(set(np.asarray(labels).tolist())) == 2:
            draw(axes, name, labels, scores)
    return figure, axes


def _line_plot(path: Path, x: np.ndarray, y: np.ndarray, xlabel: str, ylabel: str, title: str,
               diagonal: bool = False) -> Path:
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.plot(x, y, linewidth=2)
    if diagonal:
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey")
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title, xlim=(0, 1), ylim=(0, 1.02))
    return save_figure(figure, path)


def _confusion(path: Path, confusion: np.ndarray, title: str, threshold: float) -> Path:
    return save_confusion_matrix(path, confusion, ["real", "fake"], f"{title} (threshold {threshold:.2f})")


def save_confusion_matrix(path: Path, confusion: np.ndarray, classes: list[str], title: str) -> Path:
    """Counts per (true, predicted) class, shaded by the share of each true class (row), so rare classes show."""
    figure, axes = plt.subplots(figsize=(2.5 + 0.75 * len(classes), 2 + 0.7 * len(classes)))
    _draw_confusion(axes, np.asarray(confusion), classes, title)
    return save_figure(figure, path)


def confusion_panel(metrics: dict, label: str) -> tuple[np.ndarray, list[str], str]:
    """(confusion, classes, "label: accuracy A, n=N") from a metrics dict (binary ones have no class list)."""
    accuracy = "-" if metrics["accuracy"] is None else f"{metrics['accuracy']:.3f}"
    return (np.array(metrics["confusion"]), metrics.get("classes", ["real", "fake"]),
            f"{label}: accuracy {accuracy}, n={metrics['n']}")


def save_confusion_matrices(path: Path, panels: list[tuple[np.ndarray, list[str], str]]) -> Path:
    """Several confusion matrices side by side, e.g. one model on real and on AI-generated faces."""
    size = max(len(classes) for _, classes, _ in panels)
    figure, axes = plt.subplots(1, len(panels), figsize=(len(panels) * (2 + 0.7 * size), 2 + 0.7 * size),
                                squeeze=False)
    for panel_axes, (confusion, classes, title) in zip(axes[0], panels, strict=True):
        _draw_confusion(panel_axes, np.asarray(confusion), classes, title)
    return save_figure(figure, path)


def save_grouped_bars(path: Path, groups: list[str], series: dict[str, list[float | None]], ylabel: str,
                      title: str) -> Path:
    """One bar per series in each group (e.g. each dataset's recall of each class); None leaves a gap."""
    figure, axes = plt.subplots(figsize=(2 + 1.2 * len(groups) * max(1, len(series)) / 2, 4))
    width = 0.8 / max(1, len(series))
    for k, (name, values) in enumerate(series.items()):
        positions = [g + (k - (len(series) - 1) / 2) * width for g in range(len(groups))]
        heights = [np.nan if v is None else v for v in values]
        bars = axes.bar(positions, heights, width, label=name)
        axes.bar_label(bars, labels=["" if v is None else f"{v:.2f}" for v in values], fontsize=7)
    axes.set(xticks=list(range(len(groups))), ylim=(0, 1.1), ylabel=ylabel,
             title="\n".join(textwrap.fill(line, 2 * TITLE_WIDTH) for line in title.split("\n")))
    axes.set_xticklabels(groups)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(figure, path)


def _draw_confusion(axes: plt.Axes, confusion: np.ndarray, classes: list[str], title: str) -> None:
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, column), count in np.ndenumerate(confusion):
        axes.text(column, row, str(count), ha="center", va="center", fontsize=14 if len(classes) < 4 else 9,
                  color="white" if shares[row, column] > 0.5 else "black")
    ticks = list(range(len(classes)))
    # long model names (an ensemble's joins its members') would run into the next panel's title
    wrapped = "\n".join(textwrap.fill(line, TITLE_WIDTH) for line in title.split("\n"))
    axes.set(xticks=ticks, yticks=ticks, xlabel="predicted", ylabel="true", title=wrapped)
    axes.set_xticklabels(classes, rotation=45 if len(classes) > 3 else 0, ha="right" if len(classes) > 3 else "center")
    axes.set_yticklabels(classes)


def _histogram(path: Path, labels: np.ndarray, p_fake: np.ndarray, threshold: float, title: str) -> Path:
    figure, axes = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, 1, 41)
    for value, name, colour in ((0, "real", "tab:blue"), (1, "fake", "tab:red")):
        if (labels == value).any():
            axes.hist(p_fake[labels == value], bins=bins, alpha=0.6, label=name, color=colour)
    axes.axvline(threshold, color="black", linestyle="--", label="threshold")
    axes.set(xlabel="P(fake)", ylabel="faces", title=f"{title}: scores")
    axes.legend()
    return save_figure(figure, path)


def save_encoding_norms(path: Path, labels: np.ndarray, encodings: np.ndarray, missing: dict[str, int],
                        title: str) -> Path:
    """Histogram of face-encoding L2 norms per class (the reference study's real-vs-fake picture)."""
    norms = np.linalg.norm(encodings, axis=1)
    figure, axes = plt.subplots(figsize=(6, 4))
    bins = np.linspace(norms.min(), norms.max(), 41) if len(norms) else 10
    for value, name, colour in ((0, "real", "tab:blue"), (1, "fake", "tab:red")):
        chosen = norms[labels == value]
        if len(chosen):
            axes.hist(chosen, bins=bins, alpha=0.6, color=colour,
                      label=f"{name}: n={len(chosen)}, mean {chosen.mean():.4f}, no face {missing.get(name, 0)}")
    axes.set(xlabel="L2 norm of the 128-d dlib face encoding", ylabel="images", title=title)
    axes.legend(fontsize=8)
    return save_figure(figure, path)
