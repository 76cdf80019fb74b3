"""A minimal ICC v2 display profile built from primaries and a gamma, for tests: no wide-gamut profile ships with
Pillow or on the test machines, and a camera's Adobe RGB or a phone's Display P3 photo carries one."""

from __future__ import annotations

import io
import struct

import numpy as np

D50 = (0.9642, 1.0, 0.8249)
# Adobe RGB (1998)'s primaries as D50-adapted XYZ colorants (the values its own profile holds), gamma 563/256
ADOBE_RGB = {"red": (0.6097, 0.3111, 0.0195), "green": (0.2053, 0.6257, 0.0609), "blue": (0.1492, 0.0632, 0.7446)}


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + struct.pack(">II", 0, 0)
            + struct.pack(">HB", 0, 0) + bytes(67))


def display_profile(name: str, colorants: dict[str, tuple[float, float, float]] = ADOBE_RGB,
                    gamma: float = 563 / 256) -> bytes:
    """An RGB display profile (matrix and one gamma curve per channel) named `name`."""
    curve = _curve(gamma)
    return _profile(b"RGB ", [(b"desc", _description(name)), (b"wtpt", _xyz(*D50)),
                              (b"rXYZ", _xyz(*colorants["red"])), (b"gXYZ", _xyz(*colorants["green"])),
                              (b"bXYZ", _xyz(*colorants["blue"])), (b"rTRC", curve), (b"gTRC", curve),
                              (b"bTRC", curve)])


def grey_profile(name: str, gamma: float) -> bytes:
    """A grey display profile (one tone curve) named `name`, as Photoshop embeds in a greyscale photo."""
    return _profile(b"GRAY", [(b"desc", _description(name)), (b"wtpt", _xyz(*D50)), (b"kTRC", _curve(gamma))])


def _curve(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def _profile(colour_space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """An ICC v2 display profile of `colour_space` ("RGB " or "GRAY") holding `tags`, a copyright tag added."""
    tags = [*tags, (b"cprt", b"text\0\0\0\0no copyright, test data\0")]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        padded = data + bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += padded
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntr" + colour_space + b"XYZ "
              + bytes(12) + b"acsp" + bytes(24) + struct.pack(">I", 0) + _s15(D50[0]) + _s15(D50[1]) + _s15(D50[2]))
    header += bytes(128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body


def as_stored(shown: np.ndarray, icc: bytes) -> np.ndarray:
    """The RGB values a file tagged with `icc` holds for colours shown as the sRGB values `shown` (as a camera or
    screen set to that space stores them)."""
    from PIL import Image, ImageCms

    stored = ImageCms.profileToProfile(Image.fromarray(shown), ImageCms.createProfile("sRGB"),
                                       ImageCms.ImageCmsProfile(io.BytesIO(icc)), outputMode="RGB")
    return np.asarray(stored)


def exif_adobe_rgb() -> bytes:
    """EXIF as a camera set to Adobe RGB writes it without a profile (DCF option file): ColorSpace 0xFFFF
    (uncalibrated) in the Exif IFD, interoperability index "R03" in its Interop IFD (Pillow cannot write that one)."""
    def ifd(entries: list[tuple[int, int, int, bytes]]) -> bytes:
        out = struct.pack(">H", len(entries))
        for tag, kind, count, value in entries:
            out += struct.pack(">HHI", tag, kind, count) + value
        return out + struct.pack(">I", 0)

    exif_at = 8 + 2 + 12 + 4
    interop_at = exif_at + 2 + 2 * 12 + 4
    return (b"Exif\0\0MM\0*" + struct.pack(">I", 8) + ifd([(0x8769, 4, 1, struct.pack(">I", exif_at))])
            + ifd([(0xA001, 3, 1, struct.pack(">HH", 0xFFFF, 0)), (0xA005, 4, 1, struct.pack(">I", interop_at))])
            + ifd([(0x0001, 2, 4, b"R03\0")]))

