"""Metrics, thresholds and calibration: one implementation used by training, evaluation and reports.

Loaded on first use: the metrics need scikit-learn (about 1.4 s to import), which a scan never does."""

from facetrust.lazy import lazy_exports

__all__ = ["binary_metrics", "choose_threshold", "fit_temperature"]
__getattr__ = lazy_exports(__name__, {"binary_metrics": "facetrust.evaluation.metrics",
                                      "choose_threshold": "facetrust.evaluation.metrics",
                                      "fit_temperature": "facetrust.evaluation.calibration"})
