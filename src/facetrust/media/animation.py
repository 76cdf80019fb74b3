"""Animated images (GIF, animated WebP, APNG, animated AVIF) sampled over time like a video: a face swap shared as a
GIF may show no face in its first frame, and its evidence may be anywhere in the loop."""

from __future__ import annotations

import bisect
import io
import time
import warnings
from collections.abc import Iterator

from PIL import Image, ImageOps

from facetrust.errors import DAMAGED_DATA_ERRORS, CorruptMediaError, DecodeTimeoutError
from facetrust.media.colour import in_srgb
from facetrust.media.image import DecodedImage, file_colour, to_rgb8
from facetrust.media.limits import DEFAULT_LIMITS, MediaLimits
from facetrust.media.source import MediaInput
from facetrust.media.video import VideoFrame, VideoInfo, sample_times

ANIMATED_FORMATS = ("GIF", "WEBP", "PNG", "AVIF")  # not MPO (a JPEG's second picture) nor TIFF pages: not time
DEFAULT_FRAME_MS = 100  # what browsers show a GIF frame for when it declares no (or a zero) duration


def is_animation(image: DecodedImage) -> bool:
    return image.frames > 1 and image.format in ANIMATED_FORMATS


def sample_animation(media: MediaInput, image: DecodedImage, count: int | None = None, fps: float | None = None,
                     max_frames: int = 300, limits: MediaLimits = DEFAULT_LIMITS) -> tuple[VideoInfo, list[VideoFrame]]:
    """The animation's timing as a `VideoInfo`, and its frames at uniformly sampled times (`sample_times`, as for a
    video), each the frame on screen at that time, once, as RGB; every frame when `count` covers them all (a GIF's
    frames may show for very different times); decoding stops at `limits.max_decode_seconds`."""
    deadline = time.monotonic() + limits.max_decode_seconds
    with warnings.catch_warnings():  # the pixel cap was checked by `decode_image` on the same header
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        animation = Image.open(io.BytesIO(media.data), formats=ANIMATED_FORMATS)
        try:
            starts = _frame_starts(animation, image.frames, deadline, media.name)
            info = VideoInfo(duration=starts[-1] / 1000, fps=image.frames * 1000 / starts[-1],
                             frame_count=image.frames, width=image.size[0], height=image.size[1],
                             codec=image.format, has_audio=False)
            every = fps is None and count is not None and count >= image.frames
            targets = starts[:-1] if every else [1000 * t for t in sample_times(info, count, fps, max_frames)]
            frames = list(_frames_at(animation, starts, targets, deadline, media.name, file_colour(media, animation)))
        except DAMAGED_DATA_ERRORS as exc:
            raise CorruptMediaError(media.name, f"animation frame data is damaged ({exc})") from exc
    return info, frames


def _frame_starts(animation: Image.Image, count: int, deadline: float, name: str) -> list[float]:
    """Each frame's start in milliseconds, and the loop's end last."""
    starts = [0.0]
    for index in range(count):
        _check(deadline, name)
        animation.seek(index)
        if "duration" not in animation.info:  # Pillow's AVIF reader tells a frame's duration once it is decoded
            animation.load()
        starts.append(starts[-1] + (animation.info.get("duration") or DEFAULT_FRAME_MS))
    return starts


def _frames_at(animation: Image.Image, starts: list[float], targets: list[float], deadline: float,
               name: str, nclx: dict[str, int] | None) -> Iterator[VideoFrame]:
    """The frame on screen at each target time (milliseconds), each frame once, turned by the file's EXIF orientation
    and shown in sRGB as `decode_image` shows the first (an animated WebP or APNG may carry an orientation and a
    colour profile; the first frame's notes already say what was done)."""
    indices = sorted({min(bisect.bisect_right(starts, target) - 1, len(starts) - 2) for target in targets})
    for index in indices:
        _check(deadline, name)
        animation.seek(index)
        shown = in_srgb(ImageOps.exif_transpose(animation), [], nclx)
        yield VideoFrame(index, starts[index] / 1000, to_rgb8(shown, []))


def _check(deadline: float, name: str) -> None:
    if time.monotonic() > deadline:
        raise DecodeTimeoutError(name, "decoding the animation's frames took too long")
