"""Limits that bound the work any single untrusted input can cause."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaLimits:
    """Caps checked before (or while) decoding; the defaults suit photos and short clips."""

    max_bytes: int = 200 * 1024 * 1024
    # Checked from the header, before any pixel is decoded. 178 million covers what cameras write (a 61 MP
    # full-frame, a 108 MP phone, a 150 MP medium-format photo) and stays under Pillow's own bomb bound.
    max_pixels: int = 178_000_000
    min_side: int = 8  # smaller images cannot hold a face worth judging
    max_video_seconds: float = 3 * 60 * 60
    max_video_pixels: int = 7680 * 4320  # 8K, what recent phones film at their highest setting
    max_decode_seconds: float = 120.0


DEFAULT_LIMITS = MediaLimits()
