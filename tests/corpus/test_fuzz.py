"""Property: whatever bytes arrive, the media layer answers with pixels or a MediaError, nothing else (issue 25).

Mutated real files (bytes overwritten, cut, inserted) go through the same calls a scan makes: sniff, then
decode the image or probe and sample the video. Examples are derived deterministically, so CI sees the same
inputs every run; the count bounds the time (a few seconds per format).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from skimage import data as skdata

from facetrust.errors import MediaError
from facetrust.media import MediaLimits, decode_image, probe_video, read_input, sample_frames, sniff_kind
from tests.corpus.craft import mjpeg_mkv, webm

LIMITS = MediaLimits(max_decode_seconds=10.0)


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    picture = Image.fromarray(skdata.astronaut()[100:228, 160:288])
    if fmt == "HEIF":
        pillow_heif.from_pillow(picture).save(buffer)
    else:
        picture.save(buffer, format=fmt)
    return buffer.getvalue()


SEEDS = {"jpeg": _image("JPEG"), "png": _image("PNG"), "webp": _image("WEBP"), "gif": _image("GIF"),
         "tiff": _image("TIFF"), "bmp": _image("BMP"), "heif": _image("HEIF"), "avif": _image("AVIF"),
         "webm": webm(frames=6), "mkv": mjpeg_mkv([32, 32, 32])}


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """`seed` with a few bytes overwritten, then maybe cut short or given a run of inserted bytes."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        del data[draw(st.integers(1, len(data))):]
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


def _decode(data: bytes) -> None:
    """What a scan does with bytes before faces are looked for; pixels must come out well-formed."""
    media = read_input(data, "fuzzed", limits=LIMITS)
    if sniff_kind(media) == "image":
        pixels = decode_image(media, LIMITS).pixels
        assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3
    else:
        probe_video(media, LIMITS)
        for frame in sample_frames(media, count=3, limits=LIMITS):
            assert frame.pixels.dtype == np.uint8 and frame.pixels.shape[2] == 3


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_mutated_files_give_pixels_or_a_media_error(kind):
    @settings(max_examples=400, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(mutated(SEEDS[kind]))
    def check(data: bytes) -> None:
        with contextlib.suppress(MediaError):
            _decode(data)

    check()
