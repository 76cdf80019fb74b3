"""Pictures of explanations: each face crop above its heatmap overlay, titled with the verdict."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from facetrust.evaluation.plots import save_figure
from facetrust.explain.heatmaps import overlay


def png_data_url(image: np.ndarray) -> str:
    """An RGB image as a `data:image/png;base64,...` URL (for JSON answers a web page shows directly)."""
    import base64

    import cv2

    _, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return "data:image/png;base64," + base64.b64encode(data.tobytes()).decode("ascii")


def save_explanation(path: Path, crops: list[np.ndarray], heatmaps: list[np.ndarray], titles: list[str],
                     method: str) -> Path:
    """One column per face: the crop, then the crop with its heatmap (normalised per face)."""
    columns = max(len(crops), 1)
    figure, axes = plt.subplots(2, columns, figsize=(2.8 * columns, 6.0), squeeze=False)
    for k, (crop, heatmap, title) in enumerate(zip(crops, heatmaps, titles, strict=True)):
        axes[0, k].imshow(crop)
        axes[0, k].set_title(title, fontsize=9)
        axes[1, k].imshow(overlay(crop, heatmap))
        axes[1, k].set_title(f"{method}: what raised P(fake)", fontsize=8)
    for axis in axes.ravel():
        axis.axis("off")
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_figure(figure, path)
