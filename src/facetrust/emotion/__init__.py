"""Facial expression recognition: the FER-2013 classes, datasets, training and evaluation."""

from facetrust.emotion.data import CleaningReport, EmotionSample, clean, discover_emotions
from facetrust.emotion.labels import EMOTIONS, EXTRA_EMOTIONS

__all__ = ["EMOTIONS", "EXTRA_EMOTIONS", "CleaningReport", "EmotionSample", "clean", "discover_emotions"]
