"""Unsigned metadata that says what made a file: the XMP packet (IPTC digital source type, creator tool), PNG
text chunks of image generators (AUTOMATIC1111 / Forge `parameters`, ComfyUI `prompt` / `workflow`, InvokeAI)
and EXIF make, model and software. Easy to strip and easy to forge: evidence beside the pixels, never proof.

Everything is read from the raw bytes with size caps, without decoding pixels.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from xml.etree import ElementTree

from PIL import Image

from facetrust.provenance.content_credentials import source_type_term

MAX_XMP_BYTES = 1 << 20  # an XMP packet larger than this is not parsed
MAX_TEXT_BYTES = 1 << 20  # all PNG text chunks together, decompressed
MAX_VALUE_CHARS = 2000  # each value kept in the record (prompts and workflows can be huge)
XMP_PACKET = re.compile(rb"<x:xmpmeta\b.*?</x:xmpmeta>", re.DOTALL)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GENERATOR_KEYS = {  # PNG text keys written by image generators, and who writes them
    "parameters": "AUTOMATIC1111-style (AUTOMATIC1111, Forge, SD.Next)",
    "prompt": "ComfyUI", "workflow": "ComfyUI",
    "invokeai_metadata": "InvokeAI", "sd-metadata": "InvokeAI", "Dream": "InvokeAI",
}
EXIF_TAGS = {0x010F: "make", 0x0110: "model", 0x0131: "software"}


class MetadataError(ValueError):
    """A metadata block that is present but cannot be read (malformed XML, a damaged chunk)."""


def read_xmp(data: bytes) -> dict | None:
    """Digital source types and creator tool from the first XMP packet, or None without one."""
    found = XMP_PACKET.search(data)
    if found is None:
        return None
    if len(found.group()) > MAX_XMP_BYTES:
        raise MetadataError(f"XMP packet of {len(found.group()):,} bytes is above the {MAX_XMP_BYTES:,} limit")
    try:
        root = ElementTree.fromstring(found.group())
    except ElementTree.ParseError as exc:
        raise MetadataError(f"malformed XMP packet ({exc})") from exc
    values: dict[str, list[str]] = {"DigitalSourceType": [], "CreatorTool": []}
    for element in root.iter():
        for name, value in [(element.tag, element.text), *element.attrib.items()]:
            local = name.rsplit("}", 1)[-1]
            if local in values and value and value.strip():
                values[local].append(value.strip())
    return {"digital_source_types": [source_type_term(v) for v in values["DigitalSourceType"]],
            "creator_tool": values["CreatorTool"][0][:MAX_VALUE_CHARS] if values["CreatorTool"] else None}


def read_png_text(data: bytes) -> dict[str, str] | None:
    """Every tEXt, zTXt and iTXt chunk of a PNG as key -> text (cut to MAX_VALUE_CHARS), or None for a file
    that is not a PNG or has no text. Walks the chunk list without touching the pixel data."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    texts: dict[str, str] = {}
    budget = MAX_TEXT_BYTES
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IEND":
            break
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            key, text = _text_chunk(kind, body, budget)
            budget -= len(text)
            texts[key] = text[:MAX_VALUE_CHARS]
    return texts or None


def generator_of(texts: dict[str, str]) -> str | None:
    """Which generator family wrote these PNG text chunks, if any is recognised."""
    return next((GENERATOR_KEYS[key] for key in texts if key in GENERATOR_KEYS), None)


# Where each format keeps its EXIF: a JPEG in an "Exif" APP1 segment, a WebP in an EXIF chunk
EXIF_MARKERS = {"image/jpeg": b"Exif\x00\x00", "image/webp": b"EXIF"}


def read_exif(data: bytes, mime: str | None = None) -> dict[str, str] | None:
    """EXIF make, model and software, for the formats whose EXIF Pillow reads from the header (not PNG, whose
    EXIF may follow the pixels); None without any of them. A file of a `mime` whose EXIF marker it lacks has
    none, and is not opened a second time (the face stage decodes it already)."""
    if mime in EXIF_MARKERS and EXIF_MARKERS[mime] not in data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "PNG":
                return None
            exif = image.getexif()
    except Exception as exc:  # Pillow raises many kinds on damaged headers; the face stage reports those
        raise MetadataError(f"unreadable EXIF ({type(exc).__name__}: {exc})") from exc
    found = {name: str(exif[tag]).strip("\x00 ")[:MAX_VALUE_CHARS] for tag, name in EXIF_TAGS.items() if tag in exif}
    return found or None


def _text_chunk(kind: bytes, body: bytes, budget: int) -> tuple[str, str]:
    key, _, rest = body.partition(b"\x00")
    try:
        if kind == b"tEXt":
            text = rest
        elif kind == b"zTXt":
            text = _inflate(rest[1:], budget)
        else:  # iTXt: compression flag, method, language tag, translated keyword, then the text
            compressed, rest = rest[0], rest[2:]
            _language, _, rest = rest.partition(b"\x00")
            _translated, _, text = rest.partition(b"\x00")
            text = _inflate(text, budget) if compressed else text
    except (IndexError, zlib.error) as exc:
        raise MetadataError(f"damaged PNG {kind.decode()} chunk ({exc})") from exc
    if len(text) > budget:
        raise MetadataError(f"PNG text chunks exceed {MAX_TEXT_BYTES:,} bytes")
    return key.decode("latin-1"), text.decode("utf-8" if kind == b"iTXt" else "latin-1", "replace")


def _inflate(compressed: bytes, budget: int) -> bytes:
    """Decompress at most `budget` + 1 bytes: a zip bomb in a text chunk stops at the cap."""
    return zlib.decompressobj().decompress(compressed, budget + 1)
