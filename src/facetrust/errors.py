"""Typed errors. Each names the input and says what is wrong, so a batch can log it and move on."""

from __future__ import annotations

import struct

# What Pillow's format plugins raise on damaged data besides OSError (found by
# tests/corpus/test_fuzz.py: a TIFF without its width tag raises TypeError("Missing dimensions") from a KeyError;
# libavif's and libheif's bindings raise RuntimeError, e.g. "Failed to decode image: Missing or empty image item").
DAMAGED_DATA_ERRORS = (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError, IndexError, struct.error,
                       ZeroDivisionError, RuntimeError)


class FacetrustError(Exception):
    """Base class of every error facetrust raises on purpose."""


class MediaError(FacetrustError):
    """An input file or buffer could not be used. `source` names it, `problem` says why."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")

    def __reduce__(self) -> tuple:  # picklable, so errors cross process and machine boundaries (Ray, pools)
        return type(self), (self.source, self.problem)


class EmptyMediaError(MediaError):
    """The input has zero bytes."""


class UnsupportedMediaError(MediaError):
    """The bytes are not an image or video format facetrust accepts (whatever the file name says)."""


class MediaTooLargeError(MediaError):
    """The input exceeds a configured limit (bytes, pixels, duration, resolution)."""


class CorruptMediaError(MediaError):
    """The format was recognised but decoding failed (truncated or damaged data)."""


class NoVideoStreamError(MediaError):
    """A container without a video stream (for example audio only)."""


class DecodeTimeoutError(MediaError):
    """Decoding took longer than the configured limit."""


class ProcessingError(MediaError):
    """An unexpected failure while processing one input, wrapped so a batch can record it and go on."""


class MissingComponentError(FacetrustError):
    """An optional package or its weight file is not installed."""


def validation_problems(errors: list[dict], renamed: dict[str, str] | None = None) -> str:
    """Pydantic's validation errors as one line: each bad field (by the name the user wrote, via `renamed`), what
    is wrong with it, and the value given (except for a missing field, which has none)."""
    problems = []
    for error in errors:
        field = ".".join(str(part) for part in error["loc"])
        given = "" if error["type"] == "missing" else f" (got {error['input']!r})"
        problems.append(f"{(renamed or {}).get(field, field)}: {error['msg']}{given}")
    return "; ".join(problems)
