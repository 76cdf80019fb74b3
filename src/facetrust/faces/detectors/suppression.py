"""Non-maximum suppression in NumPy: every detector's last step, and three of MTCNN's."""

from __future__ import annotations

import numpy as np


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, overlap: str = "union",
        inclusive: bool = False) -> np.ndarray:
    """Indices of the boxes kept, best score first: each drops the later boxes overlapping it more than
    `threshold`. overlap "union" is intersection over union (torchvision's `nms`); "min" over the smaller box.
    `inclusive` counts both edge pixels in widths (x2 - x1 + 1), as MTCNN's final suppression does."""
    boxes = np.asarray(boxes, np.float32)
    if not len(boxes):
        return np.zeros(0, np.int64)
    extra = np.float32(1.0 if inclusive else 0.0)
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + extra) * (y2 - y1 + extra)
    order = np.argsort(-np.asarray(scores), kind="stable")
    kept = []
    while len(order):
        best, rest = order[0], order[1:]
        kept.append(best)
        width = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + extra)
        height = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + extra)
        inter = width * height
        denominator = np.minimum(areas[best], areas[rest]) if overlap == "min" else areas[best] + areas[rest] - inter
        order = rest[inter / denominator <= threshold]
    return np.asarray(kept, np.int64)
