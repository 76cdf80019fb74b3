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
    "video/x-m4v", "video/mpeg", "video/x-flv", "video/3gpp", "video/x-ms-wmv",
}
ANIMATED_AVIF_BRAND = b"avis"  # an AV1 image sequence (animated AVIF, a GIF's modern stand-in), unknown to filetype
TS_SYNC = 0x47  # an MPEG transport stream's packets each start with it: 188 bytes apart, 192 with a timestamp prefix


def sniff_kind(media: MediaInput) -> MediaKind:
    """Return "image" or "video" from the magic bytes; anything else is refused with its detected type."""
    guess = filetype.guess(media.data[:8192])
    if guess is None and media.data[4:12] == b"ftyp" + ANIMATED_AVIF_BRAND:
        return "image"
    if guess is None and _transport_stream(media.data):
        return "video"
    if guess is None:
        raise UnsupportedMediaError(
            media.name, "not a recognised image or video (the bytes match no known format; "
            "accepted: JPEG, PNG, WebP, BMP, TIFF, GIF, HEIC/HEIF, AVIF, MP4/MOV, WebM/MKV, AVI, MPEG-TS, WMV)")
    if guess.mime in IMAGE_MIMES:
        return "image"
    if guess.mime in VIDEO_MIMES:
        return "video"
    if guess.mime.startswith("audio/"):
        raise NoVideoStreamError(media.name, f"audio file ({guess.mime}) has no video stream")
    raise UnsupportedMediaError(media.name, f"unsupported format {guess.mime}")


def _transport_stream(data: bytes) -> bool:
    """MPEG-TS has no magic number, only its sync byte at every packet: broadcast recordings, downloaded HLS
    segments (.ts) and camcorder AVCHD clips (.mts/.m2ts, 192-byte packets) are recognised by three in a row."""
    return any(len(data) >= start + 3 * size and all(data[start + k * size] == TS_SYNC for k in range(3))
               for start, size in ((0, 188), (4, 192)))
