"""Where facetrust keeps what it can recompute (face crops, ONNX exports): `$FACETRUST_CACHE_DIR`,
default `~/.cache/facetrust`. Deleting it is always safe."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    return Path(os.environ.get("FACETRUST_CACHE_DIR") or Path.home() / ".cache" / "facetrust")
