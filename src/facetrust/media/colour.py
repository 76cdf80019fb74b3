"""A photo's colours as a colour-managed viewer shows them, in sRGB, the space every model was trained on: read as
sRGB, a wide-gamut photo's colours are washed out, and the detector catches fewer fakes (k140's test photos tagged
Adobe RGB: 67% converted, 60% read as sRGB; README, "Limits on untrusted input"). A photo says its space by an
embedded ICC profile or, in HEIF (phones) and AVIF, by coded colour primaries (an `nclx` box), and a camera set to
Adobe RGB that embeds no profile says so in EXIF alone (ColorSpace "uncalibrated", interoperability index R03, as
Photoshop and Lightroom read it; browsers do not, so such a photo looks dull there): all are converted, an alpha
channel kept as it is (a Mac screenshot is an RGBA PNG in Display P3). A grey photo's profile gives its tone curve
(Photoshop saves grey as "Dot Gain 20%" or "Gray Gamma 2.2"; read as sRGB, a linear grey's mid-tones come out a fifth
too dark)."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping

import numpy as np
from PIL import Image, ImageCms

from facetrust.errors import DAMAGED_DATA_ERRORS

SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))
D65 = (0.3127, 0.3290)
NCLX_SRGB_OR_UNKNOWN = (1, 2)  # ITU-T H.273 colour primaries: 1 BT.709 (sRGB's), 2 unspecified
NCLX_SDR_TRANSFERS = (1, 6, 13, 14, 15)  # BT.709, BT.601, sRGB, BT.2020 10/12-bit: read with sRGB's curve
NCLX_HDR_TRANSFERS = {16: "PQ", 18: "HLG"}
PQ_M1, PQ_M2 = 2610 / 16384, 2523 / 4096 * 128  # SMPTE ST 2084's constants
PQ_C1, PQ_C2, PQ_C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
HLG_A, HLG_B, HLG_C = 0.17883277, 0.28466892, 0.55991073  # BT.2100 HLG's OETF constants
HLG_PEAK, HLG_GAMMA = 1000.0, 1.2  # the nominal display an HLG signal is rendered for, and its system gamma
BT2020_LUMA = np.array([0.2627, 0.6780, 0.0593], dtype=np.float32)
REFERENCE_WHITE = 203.0  # cd/m2, BT.2408's HDR diffuse white: shown as SDR white
KNEE = 0.75  # SDR linear level above which HDR highlights are rolled off towards white rather than clipped
NCLX_GAMMA_TRANSFERS = {4: 2.2, 5: 2.8}  # BT.470 System M and B/G: a pure power curve
EXIF_UNCALIBRATED, EXIF_ADOBE_RGB_INDEX = 0xFFFF, "R03"  # ColorSpace (0xA001) and InteroperabilityIndex (0x0001)
# Adobe RGB (1998) as coded colour: its primaries, D65 and its 563/256 power curve (BT.470 M's 2.2, within 0.001)
ADOBE_RGB_BY_EXIF = {"name": "Adobe RGB (1998), said by EXIF", "color_primaries": "Adobe RGB",
                     "transfer_characteristics": 4, "color_primary_red_x": 0.64, "color_primary_red_y": 0.33,
                     "color_primary_green_x": 0.21, "color_primary_green_y": 0.71, "color_primary_blue_x": 0.15,
                     "color_primary_blue_y": 0.06, "color_primary_white_x": D65[0], "color_primary_white_y": D65[1]}
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
ROWS_AT_ONCE = 512  # a 12 MP photo converts in float32 slices of about 25 MB, not one of 150 MB
CONVERTED_MODES = ("RGB", "RGBA", "CMYK", "L", "LA")
GREY_MODES = ("L", "LA")  # converted to RGB (RGBA), since sRGB has no grey space of its own
# ITU-T H.273 colour primaries: (red, green, blue, white) as CIE xy, for files that give the code only (AVIF; libheif
# gives pillow-heif the values themselves)
H273_PRIMARIES = {
    4: ((0.67, 0.33), (0.21, 0.71), (0.14, 0.08), (0.310, 0.316)),  # BT.470 System M, illuminant C
    5: ((0.64, 0.33), (0.29, 0.60), (0.15, 0.06), D65),  # BT.601 625 lines
    6: ((0.630, 0.340), (0.310, 0.595), (0.155, 0.070), D65),  # BT.601 525 lines (SMPTE 170M)
    7: ((0.630, 0.340), (0.310, 0.595), (0.155, 0.070), D65),  # SMPTE 240M
    9: ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046), D65),  # BT.2020
    11: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.314, 0.351)),  # DCI-P3, projector white
    12: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), D65),  # Display P3
    22: ((0.630, 0.340), (0.295, 0.605), (0.155, 0.077), D65),  # EBU Tech 3213
}


def in_srgb(image: Image.Image, notes: list[str], nclx: Mapping | None = None) -> Image.Image:
    """An RGB, RGBA, CMYK, grey or palette image converted to sRGB from its embedded ICC profile or, without one, its
    coded colour primaries (`nclx`: given when the file says them where Pillow does not read them, as an AVIF does;
    else a HEIF's, from pillow-heif); as it is, with a note, when its space cannot be read or converted."""
    if image.mode == "P" and image.info.get("icc_profile"):  # a palette's colours are RGB in the profile's space
        notes.append("converted from mode P")
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode not in CONVERTED_MODES:
        return image
    if image.info.get("icc_profile"):
        return _from_icc(image, image.info["icc_profile"], notes)
    nclx = nclx or image.info.get("nclx_profile")
    coded = isinstance(nclx, Mapping) and nclx.get("color_primaries") not in NCLX_SRGB_OR_UNKNOWN
    if image.mode in ("RGB", "RGBA") and coded:
        return _from_nclx(image, nclx, notes)
    return image


def _from_icc(image: Image.Image, icc: bytes, notes: list[str]) -> Image.Image:
    try:
        name, transform = _to_srgb(icc, image.mode)
        if transform is None:
            return image
        if image.mode == "LA":  # LittleCMS converts the grey channel; the alpha is kept as it is
            converted = ImageCms.applyTransform(image.getchannel("L"), transform)
            converted.putalpha(image.getchannel("A"))
        else:
            converted = ImageCms.applyTransform(image, transform)
    except (ImageCms.PyCMSError, *DAMAGED_DATA_ERRORS) as exc:
        notes.append(f"embedded colour profile unreadable ({exc}): colours read as sRGB")
        return image
    notes.append(f"colour profile {name or 'without a name'!r} converted to sRGB")
    return converted


@functools.lru_cache(maxsize=8)
def _to_srgb(icc: bytes, mode: str) -> tuple[str, ImageCms.ImageCmsTransform | None]:
    """A profile's name and its LittleCMS transform to sRGB (None for an sRGB profile), built once per profile and
    mode: an animation's sampled frames share their file's."""
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    name = ImageCms.getProfileDescription(profile).strip()
    if "srgb" in name.lower():
        return name, None
    return name, ImageCms.buildTransform(profile, _srgb_profile(), "L" if mode in GREY_MODES else mode,
                                         "RGBA" if mode == "RGBA" else "RGB")


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def exif_colour(image: Image.Image) -> Mapping | None:
    """ADOBE_RGB_BY_EXIF when the photo has no profile or coded colour of its own and its EXIF says Adobe RGB the way
    cameras write it (DCF's option files: ColorSpace uncalibrated, interoperability index R03); damaged EXIF says
    nothing."""
    if image.info.get("icc_profile") or image.info.get("nclx_profile"):
        return None
    try:
        exif = image.getexif()
        uncalibrated = exif.get_ifd(0x8769).get(0xA001) == EXIF_UNCALIBRATED
        index = exif.get_ifd(0xA005).get(0x0001) if uncalibrated else None
    except (*DAMAGED_DATA_ERRORS, KeyError, TypeError):
        return None
    return ADOBE_RGB_BY_EXIF if str(index or "").strip("\0 ") == EXIF_ADOBE_RGB_INDEX else None


def _from_nclx(image: Image.Image, nclx: Mapping, notes: list[str]) -> Image.Image:
    """Coded primaries (e.g. Display P3, code 12) converted in linear light, relative colorimetric with clipping, as
    LittleCMS converts an ICC profile's; an HDR transfer (PQ, HLG) is tone-mapped on the way (`tone_mapped`)."""
    code, transfer = nclx.get("color_primaries"), nclx.get("transfer_characteristics")
    said = nclx.get("name") or f"coded colour primaries (code {code})"
    try:
        *primaries, white = _primaries(nclx)
        matrix = nclx_to_srgb_matrix(tuple(primaries), white)
    except (KeyError, TypeError, ValueError, np.linalg.LinAlgError) as exc:
        notes.append(f"{said} unreadable ({exc}): colours read as sRGB")
        return image
    pixels = np.array(image, dtype=np.uint8)
    if transfer in NCLX_HDR_TRANSFERS:
        notes.append(f"HDR colour ({NCLX_HDR_TRANSFERS[transfer]} transfer, primaries code {code}) tone-mapped to sRGB "
                     f"(HDR's reference white, {REFERENCE_WHITE:.0f} cd/m2, shown as white; highlights rolled off)")
        pixels[..., :3] = tone_mapped(np.ascontiguousarray(pixels[..., :3]), matrix, NCLX_HDR_TRANSFERS[transfer])
        return Image.fromarray(pixels)
    if transfer not in (*NCLX_SDR_TRANSFERS, *NCLX_GAMMA_TRANSFERS):
        notes.append(f"coded transfer characteristics {transfer} read with sRGB's curve")
    notes.append(f"{said} converted to sRGB")
    pixels[..., :3] = convert_pixels(np.ascontiguousarray(pixels[..., :3]), matrix,  # alpha, if any, as it is
                                     NCLX_GAMMA_TRANSFERS.get(transfer))
    return Image.fromarray(pixels)


def _primaries(nclx: Mapping) -> tuple[tuple[float, float], ...]:
    """Red, green, blue and white as CIE xy: given by pillow-heif, else looked up by their H.273 code."""
    if "color_primary_red_x" not in nclx:
        return H273_PRIMARIES[nclx["color_primaries"]]
    return tuple((float(nclx[f"color_primary_{c}_x"]), float(nclx[f"color_primary_{c}_y"]))
                 for c in ("red", "green", "blue", "white"))


def nclx_to_srgb_matrix(primaries: tuple[tuple[float, float], ...], white: tuple[float, float]) -> np.ndarray:
    """The 3x3 matrix from linear RGB in the given primaries and white to linear sRGB, whites matched by Bradford."""
    to_xyz = _rgb_to_xyz(primaries, white)
    if not np.allclose(white, D65, atol=1e-3):
        to_xyz = _bradford(white, D65) @ to_xyz
    return np.linalg.solve(_rgb_to_xyz(SRGB_PRIMARIES, D65), to_xyz)


def _xyz_of(xy: tuple[float, float]) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def _rgb_to_xyz(primaries: tuple[tuple[float, float], ...], white: tuple[float, float]) -> np.ndarray:
    columns = np.stack([_xyz_of(xy) for xy in primaries], axis=1)
    return columns * np.linalg.solve(columns, _xyz_of(white))


def _bradford(source: tuple[float, float], target: tuple[float, float]) -> np.ndarray:
    scale = (BRADFORD @ _xyz_of(target)) / (BRADFORD @ _xyz_of(source))
    return np.linalg.solve(BRADFORD, np.diag(scale) @ BRADFORD)


@functools.cache
def _srgb_curves() -> tuple[np.ndarray, np.ndarray]:
    """sRGB's decoding table for 8-bit values and its encoding table over 65,536 linear steps."""
    encoded = np.arange(256) / 255.0
    decode = np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4).astype(np.float32)
    linear = np.arange(65536) / 65535.0
    encode = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return decode, np.round(np.clip(encode, 0.0, 1.0) * 255.0).astype(np.uint8)


def convert_pixels(pixels: np.ndarray, matrix: np.ndarray, gamma: float | None = None) -> np.ndarray:
    """uint8 RGB (H, W, 3) through `matrix` in linear light; decoded with sRGB's curve, or with a pure power `gamma`
    where the source's transfer is one."""
    decode = _srgb_curves()[0] if gamma is None else ((np.arange(256) / 255.0) ** gamma).astype(np.float32)
    transposed = matrix.T.astype(np.float32)
    return _by_slices(pixels, lambda rows: _srgb_encoded(decode[rows] @ transposed))


def tone_mapped(pixels: np.ndarray, matrix: np.ndarray, transfer: str) -> np.ndarray:
    """uint8 HDR signal (H, W, 3), PQ or HLG, as sRGB: light relative to HDR's reference white (BT.2408: PQ's
    absolute cd/m2 over 203; HLG rendered for a 1,000 cd/m2 display, system gamma 1.2), through `matrix` to sRGB's
    primaries, kept as it is up to KNEE and rolled off smoothly towards white above it (a face's skin sits below
    reference white, so it keeps its tones; only speculars and sky are compressed), then sRGB's curve."""
    signal = np.arange(256, dtype=np.float64) / 255.0
    if transfer == "PQ":
        power = signal ** (1 / PQ_M2)
        decode = 10000.0 * (np.maximum(power - PQ_C1, 0.0) / (PQ_C2 - PQ_C3 * power)) ** (1 / PQ_M1) / REFERENCE_WHITE
    else:  # HLG's inverse OETF: scene light 0-1; the display's rendering (OOTF) needs each pixel's luminance, below
        decode = np.where(signal <= 0.5, signal ** 2 / 3, (np.exp((signal - HLG_C) / HLG_A) + HLG_B) / 12)
    decode = decode.astype(np.float32)
    transposed = matrix.T.astype(np.float32)

    def shown(rows: np.ndarray) -> np.ndarray:
        light = decode[rows]
        if transfer == "HLG":
            luma = np.maximum(light @ BT2020_LUMA, 1e-6)[..., None]
            light = light * (HLG_PEAK / REFERENCE_WHITE) * luma ** (HLG_GAMMA - 1)
        linear = np.maximum(light @ transposed, 0.0)
        return _srgb_encoded(np.where(linear <= KNEE, linear,
                                      KNEE + (1 - KNEE) * (1 - np.exp(-(linear - KNEE) / (1 - KNEE)))))

    return _by_slices(pixels, shown)


def _by_slices(pixels: np.ndarray, convert: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`convert` applied to ROWS_AT_ONCE rows at a time, so a large photo's float copies stay small."""
    out = np.empty_like(pixels)
    for start in range(0, pixels.shape[0], ROWS_AT_ONCE):
        out[start:start + ROWS_AT_ONCE] = convert(pixels[start:start + ROWS_AT_ONCE])
    return out


def _srgb_encoded(linear: np.ndarray) -> np.ndarray:
    """Linear sRGB light, clipped to 0-1, as uint8 through sRGB's curve."""
    return _srgb_curves()[1][np.round(np.clip(linear, 0.0, 1.0) * 65535.0).astype(np.int32)]
