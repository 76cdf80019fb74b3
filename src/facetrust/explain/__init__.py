"""Evidence for a verdict: where in the face crop the detector looked (class-activation heatmaps).
Names load on first use."""

from facetrust.lazy import lazy_exports

EXPLAIN_METHODS = ("gradcam", "gradcam++", "xgradcam")  # facetrust.explain.heatmaps maps each to its CAM class

__all__ = ["EXPLAIN_METHODS", "face_heatmaps", "overlay", "png_data_url", "save_explanation"]

__getattr__ = lazy_exports(__name__, {
    "face_heatmaps": "facetrust.explain.heatmaps", "overlay": "facetrust.explain.heatmaps",
    "png_data_url": "facetrust.explain.figure", "save_explanation": "facetrust.explain.figure"})
