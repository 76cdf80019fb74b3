"""Scoring faces as real or fake: verdict records and the scanner that produces them."""

from facetrust.detection.scanner import Scanner, default_model_path
from facetrust.detection.verdict import FaceVerdict, ScanResult, verdict_for

__all__ = ["FaceVerdict", "ScanResult", "Scanner", "default_model_path", "verdict_for"]
