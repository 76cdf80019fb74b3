import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from facetrust.media import DEFAULT_LIMITS, decode_image, read_input
from facetrust.media.colour import D65, nclx_to_srgb_matrix

DISPLAY_P3 = 12  # ITU-T H.273 colour primaries code, what phones write in a HEIF's nclx box
SRGB_CURVE, PQ, HLG = 13, 16, 18  # transfer characteristics codes


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
    assert "coded colour primaries (code 12) converted to sRGB" in image.notes


def test_bt709_primaries_are_srgb_and_change_nothing():
    pixels = patches((234, 51, 35), (117, 251, 76))
    plain = Image.open(io.BytesIO(heif(pixels, 1)))  # the same file as pillow-heif reads it
    image = decode(heif(pixels, 1))
    assert np.array_equal(image.pixels, np.asarray(plain.convert("RGB"))) and not image.notes


def hdr_signal(shown: np.ndarray, transfer: int) -> np.ndarray:
    """sRGB colours as an HDR camera stores them: in BT.2020 primaries, diffuse white at BT.2408's 203 cd/m2, coded
    with PQ (absolute light) or HLG (scene light for a 1,000 cd/m2 display, system gamma 1.2)."""
    decode = np.where(shown / 255 <= 0.04045, shown / 255 / 12.92, ((shown / 255 + 0.055) / 1.055) ** 2.4)
    light = decode @ np.linalg.inv(nclx_to_srgb_matrix(((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)), D65)).T
    nits = np.clip(light, 0, None) * 203.0
    if transfer == PQ:
        power = (nits / 10000) ** (2610 / 16384)
        signal = ((3424 / 4096 + 2413 / 4096 * 32 * power) / (1 + 2392 / 4096 * 32 * power)) ** (2523 / 4096 * 128)
    else:  # invert HLG's rendering (the display's luminance decides the scene's), then its OETF
        luma = np.maximum(nits @ [0.2627, 0.6780, 0.0593], 1e-9)[..., None] / 1000
        scene = nits / 1000 / luma ** (0.2 / 1.2)
        a, b, c = 0.17883277, 0.28466892, 0.55991073
        signal = np.where(scene <= 1 / 12, np.sqrt(3 * scene), a * np.log(np.maximum(12 * scene - b, 1e-9)) + c)
    return np.round(np.clip(signal, 0, 1) * 255).astype(np.uint8)


@pytest.mark.parametrize("transfer", [PQ, HLG])
def test_an_hdr_heif_is_tone_mapped_to_srgb(transfer):
    shown = patches((200, 40, 30), (60, 180, 90), (128, 128, 128), (225, 190, 170))  # skin-like last
    image = decode(heif(hdr_signal(shown, transfer), 9, transfer=transfer))  # BT.2020 primaries: an HDR photo
    as_stored = decode(heif(hdr_signal(shown, transfer), 1))  # the same values read as sRGB, as before
    centres = image.pixels[32, 32::64].astype(int)
    assert np.abs(centres - shown[32, 32::64]).max() <= 6
    assert np.abs(as_stored.pixels[32, 32::64].astype(int) - shown[32, 32::64]).max() > 30
    assert any("tone-mapped to sRGB" in note for note in image.notes)


def test_hdr_highlights_roll_off_towards_white_and_never_wrap():
    from facetrust.media.colour import tone_mapped

    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)  # every PQ level, grey
    out = tone_mapped(ramp, np.eye(3), "PQ")[0, :, 0].astype(int)
    assert (np.diff(out) >= 0).all() and out[-1] >= 250 and out[0] == 0


@pytest.mark.parametrize("white", [D65, (0.314, 0.351)])  # D65, and DCI-P3's projector white (code 11)
def test_white_stays_white_whatever_the_source_white(white):
    matrix = nclx_to_srgb_matrix(((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), white)
    assert np.allclose(matrix @ np.ones(3), np.ones(3), atol=1e-3)


def avif(pixels: np.ndarray, primaries: int) -> bytes:
    """An AVIF whose colour box says `primaries` (Pillow writes BT.709's code 1; the code is set in the box, as an
    encoder told the photo's space writes it). Pillow does not pass an AVIF's coded colour on."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="AVIF", quality=100, subsampling="4:4:4")
    data = bytearray(buffer.getvalue())
    box = data.find(b"colrnclx")
    assert box > 0 and data[box + 8:box + 10] == b"\x00\x01"
    data[box + 8:box + 10] = primaries.to_bytes(2, "big")
    return bytes(data)


@pytest.mark.parametrize("alpha", [False, True])
def test_a_display_p3_avif_is_shown_in_srgb(alpha):
    pixels = patches((234, 51, 35), (117, 251, 76), (128, 128, 128))
    stored = np.dstack([pixels, np.full(pixels.shape[:2], 255, np.uint8)]) if alpha else pixels
    as_stored = decode_image(read_input(avif(stored, 1), "web.avif", DEFAULT_LIMITS))
    image = decode_image(read_input(avif(stored, DISPLAY_P3), "web.avif", DEFAULT_LIMITS))
    assert np.abs(as_stored.pixels.astype(int) - pixels).max() <= 4
    centres = image.pixels[32, [32, 96, 160]].astype(int)
    assert np.abs(centres - [(255, 0, 0), (0, 255, 0), (128, 128, 128)]).max() <= 4
    assert "coded colour primaries (code 12) converted to sRGB" in image.notes


def test_a_palette_png_with_a_wide_profile_is_converted():
    from tests.media.icc import as_stored, display_profile

    icc = display_profile("Camera wide RGB")
    shown = patches((200, 40, 30), (60, 180, 90), (128, 128, 128))
    stored = as_stored(shown, icc)
    buffer = io.BytesIO()
    palette = Image.fromarray(stored).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    palette.save(buffer, format="PNG", icc_profile=icc)
    image = decode_image(read_input(buffer.getvalue(), "palette.png", DEFAULT_LIMITS))
    assert np.abs(stored.astype(int) - shown).max() > 10
    assert np.abs(image.pixels.astype(int) - shown).max() <= 2
    assert "colour profile 'Camera wide RGB' converted to sRGB" in image.notes


def test_a_screenshot_with_alpha_is_converted_and_keeps_its_alpha():
    from tests.media.icc import as_stored, display_profile

    icc = display_profile("Display wide RGB")  # a Mac screenshot: an RGBA PNG with its display's wide profile
    shown = patches((200, 40, 30), (60, 180, 90), (128, 128, 128))
    stored = as_stored(shown, icc)
    rgba = np.dstack([stored, np.full(shown.shape[:2], 255, np.uint8)])
    rgba[:, :8, 3] = 0  # a transparent strip at the left, shown on white
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", icc_profile=icc)
    image = decode_image(read_input(buffer.getvalue(), "screenshot.png", DEFAULT_LIMITS))
    assert np.abs(stored.astype(int)[:, 8:] - shown[:, 8:]).max() > 10  # read as sRGB, visibly off
    assert np.abs(image.pixels[:, 8:].astype(int) - shown[:, 8:]).max() <= 2
    assert (image.pixels[:, :8] == 255).all()
    assert "colour profile 'Display wide RGB' converted to sRGB" in image.notes


def test_a_cut_or_scrambled_avif_colour_box_is_read_as_srgb_never_an_error():
    from facetrust.media.isobmff import coded_colour

    data = avif(patches((234, 51, 35)), DISPLAY_P3)
    assert coded_colour(data)["color_primaries"] == DISPLAY_P3
    meta_end = data.find(b"mdat")
    assert all(coded_colour(data[:cut]) is None for cut in range(meta_end - 4))  # the colour box is cut off
    rng = np.random.default_rng(0)
    for _ in range(200):  # bytes of the meta box scrambled: a crafted file
        scrambled = bytearray(data)
        for position in rng.integers(8, meta_end, 4):
            scrambled[position] = rng.integers(0, 256)
        colour = coded_colour(bytes(scrambled))
        assert colour is None or set(colour) == {"color_primaries", "transfer_characteristics",
                                                 "matrix_coefficients", "full_range_flag"}


@pytest.mark.parametrize("alpha", [False, True])
def test_a_grey_photo_with_a_linear_profile_is_shown_in_srgb(alpha):
    from tests.media.icc import grey_profile

    stored = np.full((64, 64), 128, np.uint8)  # linear half grey: sRGB shows it as 188
    image = Image.fromarray(stored, "L")
    if alpha:
        image = Image.merge("LA", [image, Image.fromarray(np.full((64, 64), 255, np.uint8))])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", icc_profile=grey_profile("Grey linear", 1.0))
    decoded = decode_image(read_input(buffer.getvalue(), "grey.png", DEFAULT_LIMITS))
    assert np.abs(decoded.pixels.astype(int) - 188).max() <= 1
    assert "colour profile 'Grey linear' converted to sRGB" in decoded.notes


def test_a_grey_photo_with_an_srgb_like_grey_curve_barely_moves():
    from tests.media.icc import grey_profile

    buffer = io.BytesIO()
    Image.new("L", (32, 32), 128).save(buffer, format="JPEG", quality=100,
                                       icc_profile=grey_profile("Gray Gamma 2.2", 2.2))
    decoded = decode_image(read_input(buffer.getvalue(), "grey.jpg", DEFAULT_LIMITS))
    assert np.abs(decoded.pixels.astype(int) - 128).max() <= 2


def test_a_camera_photo_in_adobe_rgb_said_by_exif_alone_is_converted():
    from tests.media.icc import as_stored, display_profile, exif_adobe_rgb

    shown = patches((200, 40, 30), (60, 180, 90), (40, 60, 200), (128, 128, 128))
    stored = as_stored(shown, display_profile("Adobe RGB (1998)"))

    def camera_jpeg(**options) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(stored).save(buffer, format="JPEG", quality=100, subsampling=0, **options)
        return buffer.getvalue()

    tagged = decode_image(read_input(camera_jpeg(exif=exif_adobe_rgb()), "DSC_0001.JPG", DEFAULT_LIMITS))
    untagged = decode_image(read_input(camera_jpeg(), "DSC_0002.JPG", DEFAULT_LIMITS))
    assert np.abs(untagged.pixels.astype(int) - shown).max() > 10  # read as sRGB: visibly off
    assert np.abs(tagged.pixels.astype(int) - shown).max() <= 4
    assert "Adobe RGB (1998), said by EXIF converted to sRGB" in tagged.notes
    assert not any("converted" in note for note in untagged.notes)
