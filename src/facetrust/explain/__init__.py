"""Evidence for a verdict: where in the face crop the detector looked (class-activation heatmaps)."""

from facetrust.explain.figure import png_data_url, save_explanation
from facetrust.explain.heatmaps import EXPLAIN_METHODS, face_heatmaps, overlay

__all__ = ["EXPLAIN_METHODS", "face_heatmaps", "overlay", "png_data_url", "save_explanation"]
