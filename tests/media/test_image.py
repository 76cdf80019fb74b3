import io
import struct
import zlib

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from facetrust.errors import CorruptMediaError, EmptyMediaError, MediaTooLargeError, UnsupportedMediaError
from facetrust.media import DEFAULT_LIMITS, MediaLimits, decode_image, read_input, sniff_kind
from tests.conftest import encode


def decode(data: bytes, name: str = "input", limits: MediaLimits = DEFAULT_LIMITS):
    media = read_input(data, name, limits)
    assert sniff_kind(media) == "image"
    return decode_image(media, limits)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF"])
def test_every_accepted_format_decodes_to_rgb8(astronaut, fmt):
    image = decode(encode(astronaut, fmt))
    assert image.pixels.shape == (512, 512, 3) and image.pixels.dtype == np.uint8
    assert image.format == fmt
    # Lossless formats give the pixels back; lossy ones stay close (GIF is palettised).
    error = np.abs(image.pixels.astype(int) - astronaut.astype(int)).mean()
    assert error < {"JPEG": 4, "WEBP": 6, "GIF": 12}.get(fmt, 0.01)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_phone_photo_formats_decode_upright(astronaut, fmt):
    # iPhones save HEIC, many Android phones and browsers AVIF; both carry the camera's orientation as EXIF.
    stored = Image.fromarray(astronaut[:300])  # 512 wide, 300 high
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter clockwise
    buffer = io.BytesIO()
    if fmt == "HEIF":  # written without registering pillow-heif's opener: decoding must register it itself
        pillow_heif.from_pillow(stored).save(buffer, quality=90, exif=exif.tobytes())
    else:
        stored.save(buffer, fmt, quality=90, exif=exif.tobytes())
    image = decode(buffer.getvalue(), "phone")
    assert image.format == fmt and image.size == (300, 512)
    assert "EXIF orientation 6 applied" in image.notes
    upright = np.rot90(astronaut[:300], -1)
    assert np.abs(image.pixels.astype(int) - upright.astype(int)).mean() < 6


def test_an_avif_naming_the_generic_heif_brand_is_read_as_avif(astronaut):
    # mif1 is HEIF's generic brand, which AVIF files may carry as their major one; the HEIF opener (no AV1 decoder)
    # tried first refused such a photo as damaged.
    buffer = io.BytesIO()
    Image.fromarray(astronaut).save(buffer, "AVIF", quality=90)
    data = bytearray(buffer.getvalue())
    assert data[4:12] == b"ftypavif"
    data[8:12] = b"mif1"
    image = decode(bytes(data), "generic.avif")
    assert image.format == "AVIF" and image.size == (512, 512)


def test_format_comes_from_bytes_not_extension(tmp_path, astronaut):
    disguised = tmp_path / "photo.jpg"
    disguised.write_bytes(encode(astronaut, "PNG"))
    assert decode_image(read_input(disguised)).format == "PNG"


def test_text_file_named_jpg_is_refused_with_its_name(tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_text("this is not a picture\n")
    with pytest.raises(UnsupportedMediaError, match=r"notes\.jpg: not a recognised image or video"):
        sniff_kind(read_input(fake))


def test_zero_byte_file_is_refused(tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(EmptyMediaError, match=r"empty\.png: file is empty"):
        read_input(empty)


def test_file_size_cap_is_checked_before_reading(tmp_path, astronaut_jpeg):
    path = tmp_path / "big.jpg"
    path.write_bytes(astronaut_jpeg)
    with pytest.raises(MediaTooLargeError, match=r"above the limit"):
        read_input(path, limits=MediaLimits(max_bytes=1000))


def test_truncated_jpeg_is_a_corrupt_media_error(astronaut_jpeg):
    with pytest.raises(CorruptMediaError, match=r"truncated\.jpg: image data is damaged or truncated"):
        decode(astronaut_jpeg[: len(astronaut_jpeg) // 2], "truncated.jpg")


def png_bomb(side: int) -> bytes:
    """A valid PNG header declaring side x side pixels, followed by a little compressed data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (side + 1) * 64, 9)  # 64 zero rows; the rest would follow
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_png_decompression_bomb_is_rejected_from_its_header():
    # 100,000^2 = 10 gigapixels (10 GB decoded) in a file of a few kilobytes.
    bomb = png_bomb(100_000)
    assert len(bomb) < 20_000
    with pytest.raises(MediaTooLargeError, match=r"bomb\.png: .*(too many pixels|nothing was decoded)"):
        decode(bomb, "bomb.png")


def test_pixel_cap_applies_below_pillows_own_bomb_limit(astronaut):
    with pytest.raises(MediaTooLargeError, match=r"512x512 = 262,144 pixels, above the limit"):
        decode(encode(astronaut, "PNG"), limits=MediaLimits(max_pixels=100_000))


def test_camera_sized_photo_decodes():
    # A 61 MP full-frame camera's photo (9504x6336) was refused by a cap of 50 MP and by Pillow's warning at 89 MP,
    # which a 108 MP phone photo passes too; a fact-checker's original must be read, not called a bomb.
    photo = Image.new("L", (9504, 6336), 128)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=70)
    image = decode(buffer.getvalue(), "camera.jpg")
    assert image.size == (9504, 6336) and image.pixels[3000, 4000].tolist() == [128, 128, 128]
    assert DEFAULT_LIMITS.max_pixels >= 108_000_000


def test_one_pixel_image_is_refused_as_too_small():
    with pytest.raises(UnsupportedMediaError, match=r"only 1x1 pixels"):
        decode(encode(np.zeros((1, 1, 3), np.uint8), "PNG"))


def test_animated_gif_decodes_its_first_frame_and_counts_its_frames():
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = decode(buffer.getvalue())
    assert tuple(image.pixels[32, 32]) == (255, 0, 0) and image.frames == 3  # the scan samples them (test_animation)


def test_cmyk_jpeg_converts_to_rgb(astronaut):
    cmyk = Image.fromarray(astronaut).convert("CMYK")
    buffer = io.BytesIO()
    cmyk.save(buffer, format="JPEG", quality=95)
    image = decode(buffer.getvalue())
    assert image.pixels.shape == (512, 512, 3)
    assert np.abs(image.pixels.astype(int) - astronaut.astype(int)).mean() < 10


def test_16_bit_png_is_rescaled_not_clipped():
    ramp = np.linspace(0, 65535, 64 * 64).astype(np.uint16).reshape(64, 64)
    buffer = io.BytesIO()
    Image.fromarray(ramp).save(buffer, format="PNG")
    image = decode(buffer.getvalue())
    assert image.pixels.dtype == np.uint8
    assert image.pixels[0, 0, 0] == 0 and image.pixels[-1, -1, 0] == 255
    assert 120 <= image.pixels[32, 0, 0] <= 135  # mid-grey stays mid-grey


@pytest.mark.parametrize("mode", ["L", "P", "LA", "RGBA"])
def test_grey_palette_and_alpha_modes_become_rgb(astronaut, mode):
    source = Image.fromarray(astronaut).convert(mode)
    buffer = io.BytesIO()
    source.save(buffer, format="PNG")
    image = decode(buffer.getvalue())
    assert image.pixels.shape == (512, 512, 3)
    assert any(f"mode {mode}" in note for note in image.notes)


def test_transparent_pixels_are_flattened_on_white():
    rgba = np.zeros((16, 16, 4), np.uint8)  # fully transparent black
    image = decode(encode(rgba, "PNG"))
    assert (image.pixels == 255).all()


def test_exif_orientation_is_applied(astronaut):
    # Stored rotated; EXIF orientation 6 says "rotate 90 degrees clockwise to display".
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(astronaut[:, :256], 1)))
    exif = stored.getexif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", exif=exif, quality=95)
    image = decode(buffer.getvalue())
    assert image.size == (256, 512)
    assert np.abs(image.pixels.astype(int) - astronaut[:, :256].astype(int)).mean() < 6
    assert any("EXIF orientation 6" in note for note in image.notes)


@pytest.mark.parametrize("header", [b"\x89PNG\r\n\x1a\n", b"II*\x00", b"\xff\xd8\xff\xe2\x00\x10MPF\x00"],
                         ids=["png", "tiff", "jpeg-mpo"])
def test_a_corrupt_file_after_a_valid_signature_is_a_media_error_not_a_crash(header):
    with pytest.raises((UnsupportedMediaError, CorruptMediaError), match=r"damaged\.img: "):
        decode_image(read_input(header + bytes(64), "damaged.img"))


def test_a_multi_picture_jpeg_decodes_its_first_picture(astronaut):
    buffer = io.BytesIO()
    Image.fromarray(astronaut).save(buffer, format="MPO", save_all=True,
                                    append_images=[Image.fromarray(astronaut[::-1])])
    image = decode_image(read_input(buffer.getvalue(), "stereo.mpo"))
    assert image.format == "MPO" and image.pixels.shape == (512, 512, 3)
    assert np.abs(image.pixels.astype(int) - astronaut.astype(int)).mean() < 4


@pytest.mark.parametrize("value", [0, 9, 300])
def test_an_exif_orientation_outside_1_to_8_is_ignored_and_said(astronaut, value):
    stored = Image.fromarray(np.ascontiguousarray(astronaut[:, :256]))
    exif = stored.getexif()
    exif[0x0112] = value
    buffer = io.BytesIO()
    stored.save(buffer, format="PNG", exif=exif)
    image = decode(buffer.getvalue())
    assert np.array_equal(image.pixels, astronaut[:, :256])
    assert any(f"EXIF orientation {value} is not a valid value" in note for note in image.notes)
    assert not any("applied" in note for note in image.notes)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_wide_gamut_photo_is_converted_to_srgb_as_a_browser_shows_it(astronaut, fmt):
    from tests.media.icc import as_stored, display_profile

    icc = display_profile("Camera wide RGB")  # Adobe RGB (1998)'s primaries and gamma
    wide = Image.fromarray(as_stored(astronaut, icc))  # the same colours, stored as a camera set to Adobe RGB does
    buffer = io.BytesIO()
    wide.save(buffer, format=fmt, icc_profile=icc, **({"quality": 98} if fmt == "JPEG" else {}))
    image = decode(buffer.getvalue())
    stored_error = np.abs(np.asarray(wide, dtype=int) - astronaut.astype(int)).mean()
    assert stored_error > 3  # read as sRGB, the stored values are visibly off (washed out)
    shown_error = np.abs(image.pixels.astype(int) - astronaut.astype(int)).mean()
    assert shown_error < stored_error / 2  # converted back: as a browser shows it (JPEG's own loss aside)
    assert "colour profile 'Camera wide RGB' converted to sRGB" in image.notes


def test_an_srgb_profile_changes_nothing_and_a_broken_one_is_noted(astronaut):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    tagged = decode(encode(astronaut, "PNG", icc_profile=srgb))
    assert np.array_equal(tagged.pixels, astronaut) and not tagged.notes
    broken = decode(encode(astronaut, "PNG", icc_profile=b"not a profile" * 10))
    assert np.array_equal(broken.pixels, astronaut)
    assert any("embedded colour profile unreadable" in note for note in broken.notes)
