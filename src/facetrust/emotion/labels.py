"""The FER-2013 expression vocabulary, and how other datasets' labels relate to it."""

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
EXTRA_EMOTIONS = ("contempt",)  # CK+ only: a 7-class FER model cannot say it, so it is reported, not scored
