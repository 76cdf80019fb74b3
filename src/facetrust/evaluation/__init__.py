"""Metrics, thresholds and calibration: one implementation used by training, evaluation and reports."""

from facetrust.evaluation.calibration import fit_temperature
from facetrust.evaluation.metrics import binary_metrics, choose_threshold

__all__ = ["binary_metrics", "choose_threshold", "fit_temperature"]
