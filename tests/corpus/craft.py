"""Hostile and odd media made on the fly (nothing large is checked in): each function returns the bytes of one
file that once crashed, evaded or was wrongly refused (issue 25)."""

from __future__ import annotations

import io
import struct
from fractions import Fraction

import av
import numpy as np
from PIL import Image

MKV_DURATION = b"\x44\x89"  # EBML id of the Segment's Duration (a float)
MKV_VOID = b"\xec"  # EBML id of a Void element: skipped by every reader


def _jpeg(side: int, grey: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (grey, grey, grey)).save(buffer, "JPEG")
    return buffer.getvalue()


def mjpeg_mkv(sides: list[int]) -> bytes:
    """A Matroska file of JPEG frames of the given sizes; its header declares the first frame's size."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="matroska") as container:
        stream = container.add_stream("mjpeg", rate=10)
        stream.width = stream.height = sides[0]
        stream.pix_fmt = "yuvj420p"
        for i, side in enumerate(sides):
            packet = av.Packet(_jpeg(side, 30 * i % 256))
            packet.stream, packet.pts, packet.dts, packet.time_base = stream, i, i, Fraction(1, 10)
            container.mux(packet)
    return buffer.getvalue()


def lying_frame_size_mkv(small: int = 64, large: int = 6000) -> bytes:
    """Declares small x small (its first frames) but then carries large x large frames (item 7), above the 8K cap."""
    return mjpeg_mkv([small, small, large, large])


def webm(frames: int = 10, side: int = 64) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=10)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            image = np.full((side, side, 3), i * 20 % 256, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def _duration_element(data: bytes) -> tuple[int, int]:
    """Where the Segment Duration element starts and how long its value is (4 or 8 bytes)."""
    start = data.index(MKV_DURATION)
    size = data[start + 2] & 0x7F  # a one-byte EBML size: 0x84 or 0x88
    return start, size


def without_duration(data: bytes) -> bytes:
    """A WebM/Matroska file whose Duration element is blanked into a Void one of the same length (item 9)."""
    start, size = _duration_element(data)
    return data[:start] + MKV_VOID + bytes([0x80 | size]) + bytes(size + 1) + data[start + 3 + size:]


def with_duration(data: bytes, seconds: float) -> bytes:
    """A WebM/Matroska file whose header claims `seconds` of video, whatever it holds (item 8)."""
    start, size = _duration_element(data)
    timecode_scale_ms = 1.0  # the muxer's default TimecodeScale of 1 ms
    value = struct.pack(">d" if size == 8 else ">f", seconds * 1000 / timecode_scale_ms)
    return data[:start + 3] + value + data[start + 3 + size:]
