import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from facetrust.media import DEFAULT_LIMITS, decode_image, read_input
from facetrust.media.colour import D65, nclx_to_srgb_matrix

DISPLAY_P3 = 12  # ITU-T H.273 colour primaries code, what phones write in a HEIF's nclx box
SRGB_CURVE, PQ = 13, 16  # transfer characteristics codes


def heif(pixels: np.ndarray, primaries: int, transfer: int = SRGB_CURVE) -> bytes:
    """A HEIF photo whose colour space is said by coded primaries, not by an ICC profile."""
    image = Image.fromarray(pixels)
    image.info["nclx_profile"] = {"color_primaries": primaries, "transfer_characteristics": transfer,
                                  "matrix_coefficients": 6, "full_range_flag": 1}
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=100, chroma=444)
    return buffer.getvalue()


def patches(*colours: tuple[int, int, int]) -> np.ndarray:
    return np.concatenate([np.full((64, 64, 3), colour, np.uint8) for colour in colours], axis=1)


def decode(data: bytes):
    return decode_image(read_input(data, "phone.heic", DEFAULT_LIMITS))


def test_a_display_p3_heif_is_shown_in_srgb():
    # sRGB's pure red and green as Display P3 stores them (the published conversion), and a grey, which P3 keeps.
    image = decode(heif(patches((234, 51, 35), (117, 251, 76), (128, 128, 128)), DISPLAY_P3))
    centres = image.pixels[32, [32, 96, 160]].astype(int)
    assert np.abs(centres - [(255, 0, 0), (0, 255, 0), (128, 128, 128)]).max() <= 4
    assert "HEIF colour primaries (code 12) converted to sRGB" in image.notes


def test_bt709_primaries_are_srgb_and_change_nothing():
    pixels = patches((234, 51, 35), (117, 251, 76))
    plain = Image.open(io.BytesIO(heif(pixels, 1)))  # the same file as pillow-heif reads it
    image = decode(heif(pixels, 1))
    assert np.array_equal(image.pixels, np.asarray(plain.convert("RGB"))) and not image.notes


def test_an_hdr_heif_is_read_as_it_is_and_said():
    pixels = patches((234, 51, 35))
    image = decode(heif(pixels, 9, transfer=PQ))  # BT.2020 primaries, PQ: an HDR photo
    assert np.abs(image.pixels.astype(int) - pixels).max() <= 2
    assert any("HDR colour (PQ transfer" in note and "without tone mapping" in note for note in image.notes)


@pytest.mark.parametrize("white", [D65, (0.314, 0.351)])  # D65, and DCI-P3's projector white (code 11)
def test_white_stays_white_whatever_the_source_white(white):
    matrix = nclx_to_srgb_matrix(((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), white)
    assert np.allclose(matrix @ np.ones(3), np.ones(3), atol=1e-3)
