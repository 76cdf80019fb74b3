"""Safe still-image decoding to 8-bit RGB, whatever the mode, bit depth, orientation or frame count."""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facetrust.errors import DAMAGED_DATA_ERRORS, CorruptMediaError, MediaTooLargeError, UnsupportedMediaError
from facetrust.media.colour import exif_colour, in_srgb
from facetrust.media.isobmff import coded_colour
from facetrust.media.limits import DEFAULT_LIMITS, MediaLimits
from facetrust.media.source import MediaInput

# Pillow's openers to try. Multi-picture JPEGs (MPO) come from the JPEG opener; naming "MPO" here made every
# unrecognised file end in a raw KeyError (Pillow 13 registers no separate MPO opener). HEIF's opener comes from
# pillow-heif, registered when a HEIF photo arrives (`_heif_opener`).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "AVIF")
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")  # ISO-BMFF major brands
ALPHA_BACKGROUND = (255, 255, 255)
VALID_ORIENTATIONS = range(1, 9)  # EXIF 0x0112: 1 as stored, 2-8 the mirrorings and quarter turns


@dataclass
class DecodedImage:
    """An RGB uint8 array (H, W, 3) plus what was done to get it, for the record."""

    pixels: np.ndarray
    format: str
    notes: list[str] = field(default_factory=list)
    frames: int = 1  # pictures in the file (an animation's frames, an MPO's views, a TIFF's pages); pixels: the first

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) after orientation was applied."""
        return self.pixels.shape[1], self.pixels.shape[0]


def decode_image(media: MediaInput, limits: MediaLimits = DEFAULT_LIMITS) -> DecodedImage:
    """Decode with the pixel cap checked on the header, so a decompression bomb never gets decoded."""
    formats = ACCEPTED_FORMATS
    if media.data[4:8] == b"ftyp" and media.data[8:12] in HEIF_BRANDS:
        _heif_opener()
        formats = (*ACCEPTED_FORMATS, "HEIF")  # after AVIF: an AVIF may name the generic brand mif1 too
    try:
        with warnings.catch_warnings():  # the cap is limits.max_pixels below, not Pillow's warning at 89 MP
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(media.data), formats=formats)
    except UnidentifiedImageError as exc:  # the bytes were sniffed as an image format before this is called
        raise CorruptMediaError(media.name, "starts like an image file but its data cannot be read") from exc
    except Image.DecompressionBombError as exc:  # above Pillow's hard bound (179 MP), whatever limits says
        raise MediaTooLargeError(media.name, f"image header declares too many pixels ({exc})") from exc
    except DAMAGED_DATA_ERRORS as exc:
        raise CorruptMediaError(media.name, f"cannot read image header ({exc})") from exc

    width, height = image.size
    if width * height > limits.max_pixels:
        raise MediaTooLargeError(
            media.name, f"image is {width}x{height} = {width * height:,} pixels, above the limit of "
            f"{limits.max_pixels:,} (possible decompression bomb); nothing was decoded")
    if min(width, height) < limits.min_side:
        raise UnsupportedMediaError(
            media.name, f"image is only {width}x{height} pixels; at least {limits.min_side} px per side needed")

    notes: list[str] = []
    try:  # counting frames and reading EXIF may read the whole file (a PNG's EXIF can follow its pixels)
        frames = getattr(image, "n_frames", 1)
        orientation = _exif_orientation(image)
        valid_orientation = orientation in VALID_ORIENTATIONS
        image.seek(0)
        image.load()
        oriented = ImageOps.exif_transpose(image) if valid_orientation else image
    except DAMAGED_DATA_ERRORS as exc:
        raise CorruptMediaError(media.name, f"image data is damaged or truncated ({exc})") from exc
    if orientation is not None and not valid_orientation:
        notes.append(f"EXIF orientation {orientation!r} is not a valid value (1-8): ignored, pixels used as stored")
    elif orientation not in (None, 1):
        notes.append(f"EXIF orientation {orientation} applied")
    elif image.info.get("original_orientation") not in (None, 1):  # pillow-heif turned it while decoding
        notes.append(f"EXIF orientation {image.info['original_orientation']} applied")
    pixels = to_rgb8(in_srgb(oriented, notes, file_colour(media, image)), notes)
    return DecodedImage(pixels=pixels, format=image.format or "unknown", notes=notes, frames=frames)


def file_colour(media: MediaInput, image: Image.Image) -> Mapping | None:
    """An AVIF's coded colour primaries, which Pillow does not pass on (a HEIF's come from pillow-heif), or a camera
    photo's Adobe RGB said by its EXIF alone."""
    return coded_colour(media.data) if image.format == "AVIF" else exif_colour(image)


@functools.cache
def _heif_opener() -> None:
    """Teach Pillow HEIF (iPhone photos) on the first one seen: pillow-heif's import costs a scan of other
    formats 0.1 s. libheif applies the file's own rotation and leaves EXIF orientation at 1, so no photo turns twice."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _exif_orientation(image: Image.Image) -> int | None:
    return image.getexif().get(0x0112)


def to_rgb8(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Convert any Pillow mode to RGB uint8: high bit depths are rescaled, alpha is flattened on white."""
    mode = image.mode
    if mode == "RGB":
        return np.asarray(image, dtype=np.uint8).copy()
    notes.append(f"converted from mode {mode}")
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        grey = np.clip(values / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*ALPHA_BACKGROUND, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"), dtype=np.uint8).copy()
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
