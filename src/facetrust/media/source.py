"""Reading an input (path, bytes or array) into memory once, with a size cap and a content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from facetrust.errors import EmptyMediaError, MediaError, MediaTooLargeError
from facetrust.media.limits import DEFAULT_LIMITS, MediaLimits


@dataclass(frozen=True)
class MediaInput:
    """The raw bytes of one input and the name used in every message and record about it."""

    name: str
    data: bytes

    @cached_property  # hashed once however many stages (store lookup, record) ask
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def text_name(name: str) -> str:
    """The name as valid UTF-8 text. A file name whose bytes are not UTF-8 reaches Python with lone surrogates
    in it, which no database, JSON encoder or terminal accepts; those bytes become `\\xNN` escapes, so the
    name can be stored and shown and still tells the file apart from any other."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates that did not come from undecodable bytes
        raw = name.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def read_input(source: str | Path | bytes, name: str | None = None,
               limits: MediaLimits = DEFAULT_LIMITS) -> MediaInput:
    """Read a file or wrap a buffer, refusing empty and oversized inputs before doing any work."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        label = text_name(name or "<bytes>")
    else:
        path = Path(source)
        label = text_name(name or str(path))
        if not path.exists():
            raise MediaError(label, "file not found")
        if not path.is_file():
            raise MediaError(label, "not a regular file")
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise MediaTooLargeError(label, f"file is {size:,} bytes, above the limit of {limits.max_bytes:,}")
        data = path.read_bytes()
    if not data:
        raise EmptyMediaError(label, "file is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise MediaTooLargeError(label, f"input is {len(data):,} bytes, above the limit of {limits.max_bytes:,}")
    return MediaInput(label, data)
