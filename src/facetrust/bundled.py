"""Where the models that ship inside the package live: one place, so every layer finds them the same way."""

from __future__ import annotations

from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "weights"


def default_model_path() -> Path:
    """The detector that ships with facetrust (see its model.json card)."""
    return WEIGHTS / "detector"


def default_video_model_path() -> Path:
    """The video model, reading the bundled detector's frame features or its own frame model's (absent until one
    is bundled)."""
    return WEIGHTS / "video"


def default_emotion_model_path() -> Path:
    """The expression model that ships with facetrust (see its model.json card)."""
    return WEIGHTS / "emotion"
