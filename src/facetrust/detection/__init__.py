"""Scoring faces as real or fake: verdict records and the scanner that produces them."""

from facetrust.detection.decision import DecisionRule
from facetrust.detection.scanner import Scanner
from facetrust.detection.verdict import FaceVerdict, ScanResult

__all__ = ["DecisionRule", "FaceVerdict", "ScanResult", "Scanner"]
