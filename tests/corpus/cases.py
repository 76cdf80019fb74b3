"""The fuzz corpus: every bad (and every awkward but valid) input facetrust has met, as a case with the
answer both doors must give. Files are made on the fly from images that ship in packages.

`error` names the MediaError a refused input must raise (None: accepted, gets a verdict); `status` is the HTTP
answer; `says` a piece of the message a user must see. `doors` says which doors can receive it (a file name
that is not UTF-8 exists only on a disk).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
import pillow_heif
from PIL import Image
from skimage import data as skdata

from tests.corpus.craft import lying_frame_size_mkv, mjpeg_mkv, webm, with_duration, without_duration

BOTH = ("cli", "http")


@dataclass(frozen=True)
class Case:
    name: str  # the file name used at both doors
    make: Callable[[], bytes]
    error: str | None = None  # MediaError subclass name, or None for an accepted input
    status: int = 200
    says: str = ""
    doors: tuple[str, ...] = BOTH


def _face() -> np.ndarray:
    return skdata.astronaut()


def _image(array: np.ndarray, fmt: str, mode: str | None = None, **options: object) -> bytes:
    image = Image.fromarray(array)
    if mode:
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _face_as(fmt: str, mode: str | None = None, **options: object) -> Callable[[], bytes]:
    return lambda: _image(_face(), fmt, mode, **options)


def _heic() -> bytes:
    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.fromarray(_face())).save(buffer, quality=90)
    return buffer.getvalue()


def _with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return _image(_face(), "JPEG", exif=exif.tobytes())


def _animated_gif() -> bytes:
    frames = [Image.fromarray(_face()), Image.fromarray(skdata.chelsea())]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG header declaring width x height (8-bit grey) with a little data after it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (max(width, 1) + 1) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", rows) + _png_chunk(b"IEND", b"")


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A valid small JPEG whose frame header (SOF0) is rewritten to declare width x height."""
    data = bytearray(_image(np.zeros((16, 16, 3), np.uint8), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _truncated(make: Callable[[], bytes], fraction: float) -> Callable[[], bytes]:
    return lambda: make()[: int(len(make()) * fraction)]


def _garbage_after(prefix: bytes, size: int = 4096) -> Callable[[], bytes]:
    return lambda: prefix + np.random.default_rng(len(prefix)).integers(0, 256, size, dtype=np.uint8).tobytes()


def _mp4(frames: int = 10, side: int = 64) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = side, side, "yuv420p"
        stream.time_base = Fraction(1, 10)
        for i in range(frames):
            image = np.full((side, side, 3), i * 20 % 256, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def _audio_only_mp4() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return buffer.getvalue()


def _face_video(fmt: str, codec: str, **options: str) -> bytes:
    """Two seconds of the astronaut, so the video has a face to judge; `options` go to the muxer."""
    face = np.ascontiguousarray(_face()[::2, ::2])
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt, options=options) as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height = face.shape[1], face.shape[0]
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        for _ in range(20):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(face, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def _zeroed_clusters() -> bytes:
    data = bytearray(webm())
    cluster = data.index(b"\x1f\x43\xb6\x75")
    data[cluster + 4:] = bytes(len(data) - cluster - 4)
    return bytes(data)


def _mpo_confused() -> bytes:
    """A JPEG start with an MPO-style APP2 segment, then garbage: Pillow once guessed MPO and raised KeyError."""
    app2 = b"\xff\xe2" + struct.pack(">H", 2 + 4 + 8) + b"MPF\x00" + b"II*\x00\x08\x00\x00\x00"
    return b"\xff\xd8" + app2 + bytes(range(256)) * 8


ACCEPTED = [
    Case("face.jpg", _face_as("JPEG", quality=92)),
    Case("face.png", _face_as("PNG")),
    Case("face.webp", _face_as("WEBP", quality=90)),
    Case("face.bmp", _face_as("BMP")),
    Case("face.tiff", _face_as("TIFF")),
    Case("face.gif", _face_as("GIF")),
    Case("face.heic", _heic),
    Case("face.avif", _face_as("AVIF", quality=90)),
    Case("progressive.jpg", _face_as("JPEG", progressive=True)),
    Case("grey.jpg", _face_as("JPEG", mode="L")),
    Case("alpha.png", _face_as("PNG", mode="RGBA")),
    Case("palette.png", _face_as("PNG", mode="P")),
    Case("one_bit.png", _face_as("PNG", mode="1")),
    Case("cmyk.jpg", _face_as("JPEG", mode="CMYK")),
    Case("lossless.webp", _face_as("WEBP", lossless=True)),
    Case("animated.gif", _animated_gif),
    Case("rotated.jpg", lambda: _with_orientation(6)),
    Case("orientation_99.jpg", lambda: _with_orientation(99)),
    Case("trailing_garbage.jpg", lambda: _image(_face(), "JPEG") + b"\x00garbage" * 100),
    Case("trailing_garbage.png", lambda: _image(_face(), "PNG") + b"\x00garbage" * 100),
    Case("named like a png.jpg", _face_as("PNG")),
    Case("no extension", _face_as("JPEG")),
    Case("ñame with spaces and 名前.jpg", _face_as("JPEG")),
    Case("cat.jpg", lambda: _image(skdata.chelsea(), "JPEG")),
    Case("tiny_8px.png", lambda: _image(np.full((8, 8, 3), 128, np.uint8), "PNG")),
    Case("tiny_12px.jpg", lambda: _image(np.full((12, 12, 3), 128, np.uint8), "JPEG")),
    Case("tiny_19px.png", lambda: _image(np.full((19, 19, 3), 128, np.uint8), "PNG")),
    Case("wide_40000x8.png", lambda: _image(np.full((8, 40000, 3), 90, np.uint8), "PNG")),
    Case("tall_8x4000.png", lambda: _image(np.full((4000, 8, 3), 90, np.uint8), "PNG")),
    Case("thin_3000x20.jpg", lambda: _image(np.full((20, 3000, 3), 90, np.uint8), "JPEG")),
    Case("black.png", lambda: _image(np.zeros((256, 256, 3), np.uint8), "PNG")),
    Case("clip.mp4", _mp4),
    Case("clip.webm", webm),
    Case("one_frame.mp4", lambda: _mp4(frames=1)),
    Case("clip_mjpeg.mkv", lambda: mjpeg_mkv([64, 64, 64])),
    Case("clip.avi", lambda: _face_video("avi", "mjpeg")),
    Case("face_clip.mp4", lambda: _face_video("mp4", "mpeg4")),
    Case("broadcast.ts", lambda: _face_video("mpegts", "mpeg2video")),
    Case("camcorder.m2ts", lambda: _face_video("mpegts", "libx264", mpegts_m2ts_mode="1")),
    Case("clip.wmv", lambda: _face_video("asf", "wmv2")),
    Case("no_duration.webm", lambda: without_duration(webm())),
    Case("doctored_duration.webm", lambda: with_duration(webm(), 900.0)),
]

REFUSED = [
    Case("empty.jpg", lambda: b"", "EmptyMediaError", 400, "empty"),
    Case("text.jpg", lambda: b"this is a text file\n" * 10, "UnsupportedMediaError", 415, "not a recognised"),
    Case("page.html", lambda: b"<!doctype html><html><body><script>alert(1)</script></body></html>",
         "UnsupportedMediaError", 415, "not a recognised"),
    Case("drawing.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>',
         "UnsupportedMediaError", 415, "not a recognised"),
    Case("document.pdf", lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "UnsupportedMediaError", 415,
         "unsupported format application/pdf"),
    Case("archive.zip", lambda: b"PK\x03\x04" + bytes(60), "UnsupportedMediaError", 415,
         "unsupported format application/zip"),
    Case("random.bin", _garbage_after(b""), "UnsupportedMediaError", 415, "not a recognised"),
    Case("jpeg_magic.jpg", _garbage_after(b"\xff\xd8\xff\xe0"), "CorruptMediaError", 422, ""),
    Case("png_magic.png", _garbage_after(b"\x89PNG\r\n\x1a\n"), "CorruptMediaError", 422, ""),
    Case("gif_magic.gif", _garbage_after(b"GIF89a"), "CorruptMediaError", 422, ""),
    Case("webp_magic.webp", _garbage_after(b"RIFF\x00\x10\x00\x00WEBPVP8 "), "CorruptMediaError", 422, ""),
    Case("tiff_magic.tiff", _garbage_after(b"II*\x00"), "CorruptMediaError", 422, ""),
    Case("bmp_magic.bmp", _garbage_after(b"BM"), "CorruptMediaError", 422, ""),
    Case("ts_magic.ts", lambda: (b"\x47" + bytes(187)) * 3 + _garbage_after(b"")(), "CorruptMediaError", 422, ""),
    Case("heic_magic.heic", _garbage_after(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), "CorruptMediaError",
         422, ""),
    Case("avif_magic.avif", _garbage_after(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"),
         "CorruptMediaError", 422, ""),
    Case("mpo_confused.jpg", _mpo_confused, "CorruptMediaError", 422, ""),
    Case("half.jpg", _truncated(_face_as("JPEG"), 0.5), "CorruptMediaError", 422, ""),
    Case("header_only.jpg", _truncated(_face_as("JPEG"), 0.02), "CorruptMediaError", 422, ""),
    Case("half.png", _truncated(_face_as("PNG"), 0.5), "CorruptMediaError", 422, "truncated"),
    Case("half.webp", _truncated(_face_as("WEBP"), 0.5), "CorruptMediaError", 422, ""),
    Case("half.gif", _truncated(_face_as("GIF"), 0.5), "CorruptMediaError", 422, ""),
    Case("half.tiff", _truncated(_face_as("TIFF"), 0.5), "CorruptMediaError", 422, ""),
    Case("half.bmp", _truncated(_face_as("BMP"), 0.5), "CorruptMediaError", 422, ""),
    Case("bomb.png", lambda: _png_declaring(100_000, 100_000), "MediaTooLargeError", 413, "pixels"),
    Case("bomb.jpg", lambda: _jpeg_declaring(60_000, 60_000), "MediaTooLargeError", 413, "pixels"),
    Case("zero_width.png", lambda: _png_declaring(0, 16), "CorruptMediaError", 422, ""),
    Case("one_pixel.png", lambda: _image(np.zeros((1, 1, 3), np.uint8), "PNG"), "UnsupportedMediaError", 415,
         "pixels"),
    Case("seven_px.png", lambda: _image(np.zeros((7, 7, 3), np.uint8), "PNG"), "UnsupportedMediaError", 415,
         "pixels"),
    Case("audio_only.mp4", _audio_only_mp4, "NoVideoStreamError", 422, "no video stream"),
    Case("half.mp4", _truncated(_mp4, 0.5), "CorruptMediaError", 422, "truncated"),
    Case("ftyp_only.mp4", _truncated(_mp4, 0.02), "CorruptMediaError", 422, ""),
    Case("garbled.mp4", lambda: _mp4()[:64] + bytes(range(256)) * 8, "CorruptMediaError", 422, ""),
    Case("half.webm", _truncated(webm, 0.4), "CorruptMediaError", 422, ""),
    Case("zeroed_clusters.webm", _zeroed_clusters, "CorruptMediaError", 422, ""),
    Case("ebml_only.mkv", lambda: webm()[:40], "CorruptMediaError", 422, ""),
    Case("lying_frame_size.mkv", lying_frame_size_mkv, "MediaTooLargeError", 413, "larger than the limit"),
]

CASES = ACCEPTED + REFUSED
