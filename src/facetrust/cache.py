"""Where facetrust keeps what it can recompute (face crops, face encodings, ONNX exports):
`$FACETRUST_CACHE_DIR`, default `~/.cache/facetrust`. Deleting it is always safe."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from facetrust.atomic import atomic_write


def cache_root() -> Path:
    return Path(os.environ.get("FACETRUST_CACHE_DIR") or Path.home() / ".cache" / "facetrust")


class OutcomeCache:
    """Per-file results keyed by the file's content hash and the settings that produced them: an array,
    or the reason there is none (JSON). Subclasses choose the array's file format. Writes are atomic, so
    an interrupted run leaves only complete entries."""

    suffix = ".npy"

    def __init__(self, kind: str, settings: dict, root: Path | None = None) -> None:
        key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
        self.folder = (root or cache_root()) / kind / key

    def get(self, digest: str) -> np.ndarray | str | None:
        """The stored array, the reason a file has none, or None when this file was never seen."""
        array_path, reason = self._paths(digest)
        if array_path.exists():
            return self._read(array_path)
        if reason.exists():
            return json.loads(reason.read_text(encoding="utf-8"))["skipped"]
        return None

    def put(self, digest: str, outcome: np.ndarray | str) -> None:
        array_path, reason = self._paths(digest)
        array_path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(outcome, str):
            with atomic_write(reason) as partial:
                partial.write_text(json.dumps({"skipped": outcome}), encoding="utf-8")
        else:
            with atomic_write(array_path) as partial:
                self._write(partial, outcome)

    def _read(self, path: Path) -> np.ndarray | None:
        return np.load(path)

    def _write(self, path: Path, array: np.ndarray) -> None:
        np.save(path, array)

    def _paths(self, digest: str) -> tuple[Path, Path]:
        base = self.folder / digest[:2] / digest
        return base.with_suffix(self.suffix), base.with_suffix(".json")
