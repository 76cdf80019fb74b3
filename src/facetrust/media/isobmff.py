"""The one box of an AVIF that Pillow does not pass on: the coded colour space (ITU-T H.273 `nclx`) of its primary
image. Without it a Display P3 AVIF is read as sRGB, washed out, as HEIF photos were before `media.colour`."""

from __future__ import annotations

import struct
from collections.abc import Iterator

MAX_BOXES = 4096  # more boxes than any real image file's meta holds: a crafted file cannot keep the loop going


def coded_colour(data: bytes) -> dict[str, int] | None:
    """The primary image's `nclx` colour (pillow-heif's key names) from an ISO-BMFF image file (AVIF, HEIF), or None
    when it has none, says it by ICC profile instead, or its boxes cannot be read: then colours are read as sRGB,
    as before this was read."""
    try:
        return _primary_nclx(data)
    except (struct.error, ValueError, IndexError):
        return None


def _primary_nclx(data: bytes) -> dict[str, int] | None:
    meta = _children(data, 0, len(data)).get(b"meta")
    if meta is None:
        return None
    children = _children(data, meta[0] + 4, meta[1])  # meta is a full box: version and flags first
    if b"pitm" not in children or b"iprp" not in children:
        return None
    item = _primary_item(data, children[b"pitm"][0])
    properties = _children(data, *children[b"iprp"])
    if b"ipco" not in properties or b"ipma" not in properties:
        return None
    listed = list(_boxes(data, *properties[b"ipco"]))
    for index in _associations(data, *properties[b"ipma"]).get(item, []):
        if 1 <= index <= len(listed) and listed[index - 1][0] == b"colr":
            nclx = _nclx(data, listed[index - 1][1], listed[index - 1][2])
            if nclx is not None:
                return nclx
    return None


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box from `start` to `end`; stops at the first box that does not fit."""
    offset = start
    for _ in range(MAX_BOXES):
        if offset + 8 > end:
            return
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, offset + 8)[0], 16
        elif size == 0:  # to the end of the enclosing box
            size = end - offset
        if size < header or offset + size > end:
            return
        yield kind, offset + header, offset + size
        offset += size


def _children(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    """The first box of each type from `start` to `end`, by type."""
    children: dict[bytes, tuple[int, int]] = {}
    for kind, payload, box_end in _boxes(data, start, end):
        children.setdefault(kind, (payload, box_end))
    return children


def _primary_item(data: bytes, start: int) -> int:
    return struct.unpack_from(">H" if data[start] == 0 else ">I", data, start + 4)[0]


def _associations(data: bytes, start: int, end: int) -> dict[int, list[int]]:
    """Item id -> its properties' 1-based indices in `ipco` (ISO/IEC 23008-12, ItemPropertyAssociationBox)."""
    version, flags = data[start], int.from_bytes(data[start + 1:start + 4], "big")
    (count,), offset = struct.unpack_from(">I", data, start + 4), start + 8
    item_format, wide_index = (">H", 2) if version < 1 else (">I", 4), bool(flags & 1)
    associations: dict[int, list[int]] = {}
    for _ in range(min(count, MAX_BOXES)):
        item = struct.unpack_from(item_format[0], data, offset)[0]
        listed, offset = data[offset + item_format[1]], offset + item_format[1] + 1
        indices = []
        for _ in range(listed):
            if wide_index:
                indices.append(struct.unpack_from(">H", data, offset)[0] & 0x7FFF)
                offset += 2
            else:
                indices.append(data[offset] & 0x7F)
                offset += 1
        if offset > end:
            raise ValueError("ipma box runs past its end")
        associations[item] = indices
    return associations


def _nclx(data: bytes, start: int, end: int) -> dict[str, int] | None:
    if end - start < 11 or data[start:start + 4] != b"nclx":  # an ICC profile ('prof', 'rICC') reaches Pillow
        return None
    primaries, transfer, matrix = struct.unpack_from(">HHH", data, start + 4)
    return {"color_primaries": primaries, "transfer_characteristics": transfer, "matrix_coefficients": matrix,
            "full_range_flag": data[start + 10] >> 7}
