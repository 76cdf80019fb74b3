"""The report's pictures: reliability diagram, robustness curves, embedding map."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from facetrust.evaluation.plots import save_figure


def reliability(labels: np.ndarray, p_fake: np.ndarray, bins: int = 10) -> list[dict]:
    """Per probability bin: mean predicted P(fake), observed share of fakes, count."""
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(p_fake, edges[1:-1]), 0, bins - 1)
    return [{"low": float(edges[b]), "high": float(edges[b + 1]), "n": int((index == b).sum()),
             "mean_p": float(p_fake[index == b].mean()) if (index == b).any() else None,
             "fake_share": float(labels[index == b].mean()) if (index == b).any() else None} for b in range(bins)]


def save_reliability(path: Path, labels: np.ndarray, before: np.ndarray, after: np.ndarray,
                     ece: tuple[float, float], temperature: float) -> Path:
    """Observed share of fakes per predicted-probability bin, without and with the model's temperature."""
    figure, axes = plt.subplots(figsize=(5.5, 5.5))
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    for name, scores, value in (("sigmoid(logit)", before, ece[0]), (f"sigmoid(logit / {temperature:.2f})", after,
                                                                    ece[1])):
        rows = [r for r in reliability(labels, scores) if r["n"]]
        axes.plot([r["mean_p"] for r in rows], [r["fake_share"] for r in rows], marker="o",
                  label=f"{name}: ECE {value:.3f}")
    axes.set(xlabel="predicted P(fake)", ylabel="observed share of fakes", xlim=(0, 1), ylim=(0, 1),
             title="calibration (reliability diagram)")
    axes.legend(loc="upper left", fontsize=8)
    return save_figure(figure, path)


ROBUSTNESS_LINES = (("roc_auc", "o-", "ROC-AUC"), ("recall", "s--", "fakes caught"),
                    ("fpr", "^:", "real faces called fake"))


def save_robustness(path: Path, robustness: dict, clean: dict) -> Path:
    """ROC-AUC, fakes caught and real faces called fake against strength, one panel per degradation, the clean value
    at the left: the last two are what a user meets at the threshold, and accuracy would hide their trade."""
    names = list(robustness)
    figure, axes = plt.subplots(1, len(names), figsize=(3.4 * len(names), 3.6), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        block = robustness[name]
        labels = ["clean"] + [f"{s:g}" for s in block["strengths"]]
        for metric, style, label in ROBUSTNESS_LINES:
            values = [clean[metric]] + [p["metrics"][metric] for p in block["points"]]
            axis.plot(range(len(labels)), [np.nan if v is None else v for v in values], style, label=label)
        axis.set_xticks(range(len(labels)), labels, fontsize=8)
        axis.set(title=name, xlabel=block["unit"], ylim=(0, 1.02))
        axis.axhline(0.5, color="grey", linewidth=0.5)
    figure.tight_layout()  # before the legend, which goes below the panels so it covers no line
    figure.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3,
                  fontsize=8, frameon=False)
    return save_figure(figure, path)


def save_embedding_map(path: Path, points: np.ndarray, labels: np.ndarray, predicted: np.ndarray,
                       clusters: np.ndarray, title: str) -> Path:
    """Two panels of the same 2-D map: coloured by true label (wrong predictions ringed), and by cluster."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 5))
    for value, name, colour in ((0, "real", "tab:blue"), (1, "fake", "tab:red")):
        rows = labels == value
        left.scatter(points[rows, 0], points[rows, 1], s=12, c=colour, label=name, alpha=0.7)
    wrong = labels != predicted
    left.scatter(points[wrong, 0], points[wrong, 1], s=40, facecolors="none", edgecolors="black", linewidths=0.8,
                 label="misclassified")
    left.set_title(f"{title}: true label")
    left.legend(fontsize=8)
    right.scatter(points[clusters < 0, 0], points[clusters < 0, 1], s=12, c="lightgrey")
    palette = plt.get_cmap("Dark2")  # no red or blue: those mean fake and real in the left panel
    for cluster in sorted(set(clusters.tolist()) - {-1}):
        rows = clusters == cluster
        right.scatter(points[rows, 0], points[rows, 1], s=12, color=palette(cluster % palette.N), alpha=0.8)
        centre = np.median(points[rows], axis=0)
        right.annotate(str(cluster), centre, fontsize=12, weight="bold", ha="center", va="center",
                       bbox={"boxstyle": "circle", "facecolor": "white", "alpha": 0.8})
    right.set_title(f"HDBSCAN clusters ({len(set(clusters.tolist()) - {-1})}; grey: noise)")
    for axis in (left, right):
        axis.set_xticks([])
        axis.set_yticks([])
    return save_figure(figure, path)
