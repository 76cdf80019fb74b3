"""The evaluation report: metrics, calibration, robustness, per-group slices, galleries and maps in one page."""
