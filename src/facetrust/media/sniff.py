"""Deciding what an input is from its bytes, never from its file name."""

from __future__ import annotations

from typing import Literal

import filetype

from facetrust.errors import NoVideoStreamError, UnsupportedMediaError
from facetrust.media.source import MediaInput

MediaKind = Literal["image", "video"]

IMAGE_MIMES = {
    "image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff", "image/gif", "image/heic", "image/heif",
    "image/avif",
}
VIDEO_MIMES = {
    "video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-msvideo",
    "video/x-m4v", "video/mpeg", "video/x-flv", "video/3gpp",
}


def sniff_kind(media: MediaInput) -> MediaKind:
    """Return "image" or "video" from the magic bytes; anything else is refused with its detected type."""
    guess = filetype.guess(media.data[:8192])
    if guess is None:
        raise UnsupportedMediaError(
            media.name, "not a recognised image or video (the bytes match no known format; "
            "accepted: JPEG, PNG, WebP, BMP, TIFF, GIF, HEIC/HEIF, AVIF, MP4/MOV, WebM/MKV, AVI)")
    if guess.mime in IMAGE_MIMES:
        return "image"
    if guess.mime in VIDEO_MIMES:
        return "video"
    if guess.mime.startswith("audio/"):
        raise NoVideoStreamError(media.name, f"audio file ({guess.mime}) has no video stream")
    raise UnsupportedMediaError(media.name, f"unsupported format {guess.mime}")
