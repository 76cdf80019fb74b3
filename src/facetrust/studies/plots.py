"""Study pictures: a grouped bar chart for comparisons and a heat map per tuning grid."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from facetrust.evaluation.plots import save_figure

CHART_METRICS = ("accuracy", "recall", "roc_auc")


def save_comparison_chart(path: Path, rows: list[dict], title: str) -> Path:
    """Horizontal bars of accuracy, recall (fakes caught) and ROC-AUC per run; failed runs are labelled."""
    labels = [row["run"] for row in rows]
    figure, axes = plt.subplots(figsize=(9, 1.2 + 0.55 * len(rows)))
    height = 0.8 / len(CHART_METRICS)
    positions = np.arange(len(rows))
    for k, metric in enumerate(CHART_METRICS):
        values = [row.get(metric) or 0.0 for row in rows]
        bars = axes.barh(positions + (k - 1) * height, values, height, label=metric.replace("_", "-"))
        axes.bar_label(bars, labels=[f"{v:.3f}" if v else "" for v in values], fontsize=7, padding=2)
    for position, row in zip(positions, rows, strict=True):
        if row["status"] != "ok":
            axes.text(0.01, position, "failed: " + str(row.get("error", ""))[:60], va="center", fontsize=8,
                      color="crimson")
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 1.12)
    axes.set_xlabel("score on the evaluated split")
    axes.set_title(title)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # outside: never over a bar's label
    return save_figure(figure, path)


def save_grid_heatmap(path: Path, rows: list[dict], axes_names: list[str], metric: str, title: str,
                      best: dict | None = None) -> Path:
    """`metric` over a 1- or 2-axis grid, each cell annotated; the chosen cell is outlined."""
    first = list(dict.fromkeys(row[axes_names[0]] for row in rows))
    second = list(dict.fromkeys(row[axes_names[1]] for row in rows)) if len(axes_names) > 1 else [None]
    grid = np.full((len(first), len(second)), np.nan)
    for row in rows:
        column = second.index(row[axes_names[1]]) if len(axes_names) > 1 else 0
        value = row.get(metric)
        grid[first.index(row[axes_names[0]]), column] = np.nan if value is None else value
    figure, axes = plt.subplots(figsize=(2.5 + 1.3 * len(second), 1.8 + 0.6 * len(first)))
    image = axes.imshow(grid, cmap="viridis", aspect="auto")
    for i, j in np.ndindex(grid.shape):
        text = "failed" if np.isnan(grid[i, j]) else f"{grid[i, j]:.3f}"
        axes.text(j, i, text, ha="center", va="center", color="white" if np.isnan(grid[i, j]) or
                  grid[i, j] < np.nanmean(grid) else "black", fontsize=9)
    if best is not None:
        i = first.index(best[axes_names[0]])
        j = second.index(best[axes_names[1]]) if len(axes_names) > 1 else 0
        axes.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=3))
    axes.set_yticks(range(len(first)), [str(v) for v in first])
    axes.set_ylabel(axes_names[0])
    axes.set_xticks(range(len(second)), [str(v) for v in second] if len(axes_names) > 1 else [""])
    if len(axes_names) > 1:
        axes.set_xlabel(axes_names[1])
    axes.set_title(title, fontsize=10)
    figure.colorbar(image, ax=axes, label=metric.replace("_", " "))
    return save_figure(figure, path)
