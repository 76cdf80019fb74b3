"""Expanding user-given paths (files and folders) into the inputs of a batch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

# Folders are walked for these extensions only (a folder also holds manifests, notes, ...); a file
# named explicitly is always tried, and what it really is comes from its bytes, not this list.
MEDIA_EXTENSIONS = {
    ".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif", ".avif",
    ".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".mpg", ".mpeg", ".3gp", ".flv", ".ts", ".mts", ".m2ts",
    ".wmv", ".asf",
}


def expand_inputs(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given, folders as their media files in sorted order (recursively, hidden ones skipped)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from media_files(path)
        else:
            yield path


def media_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in MEDIA_EXTENSIONS
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
