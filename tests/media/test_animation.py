"""Animated images are sampled over time like videos (facetrust.media.animation): a face that appears only after the
first frame is found, each frame where it is shown, and a still's extra pictures (MPO, TIFF pages) stay a still."""

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from facetrust.errors import CorruptMediaError
from facetrust.faces.stage import find_faces
from facetrust.media import decode_image, read_input
from facetrust.media.animation import is_animation, sample_animation


def animation(fmt: str, pictures: list[np.ndarray], durations: list[int] | int, **options) -> bytes:
    frames = [Image.fromarray(picture) for picture in pictures]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], duration=durations, loop=0, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def cat_then_astronaut() -> list[np.ndarray]:
    """A title card without a face (the cat), then the astronaut twice, the second time moved a little."""
    cat, astronaut = skdata.chelsea()[:300, :400], skdata.astronaut()[:300, :400]
    return [cat, astronaut, np.roll(astronaut, 8, axis=1)]


@pytest.mark.parametrize("fmt", ["GIF", "AVIF"])  # animated AVIF: an AV1 image sequence (brand avis), GIF's heir
def test_an_animation_is_judged_over_its_frames_not_by_its_first(cat_then_astronaut, fmt):
    clip = animation(fmt, cat_then_astronaut, [1000, 200, 300])
    found = find_faces(clip, name=f"swap.{fmt.lower()}", frames=16)
    assert found.kind == "video" and (found.width, found.height) == (400, 300)
    assert [(f.index, f.time) for f in found.frames] == [(0, 0.0), (1, 1.0), (2, 1.2)]  # each frame when it shows
    assert [len(f.faces) for f in found.frames] == [0, 1, 1]  # the face the first frame hides is found
    assert any(f"animated {fmt} judged as a video: 3 of its 3 frames sampled over its 1.5 s loop" in note
               for note in found.notes)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_animated_webp_and_apng_are_sampled_too(cat_then_astronaut, fmt):
    clip = animation(fmt, cat_then_astronaut, 100)
    image = decode_image(read_input(clip, f"clip.{fmt.lower()}"))
    assert is_animation(image) and image.frames == 3
    info, frames = sample_animation(read_input(clip, "clip"), image, count=2)
    assert info.frame_count == 3 and info.duration == pytest.approx(0.3)
    assert [f.index for f in frames] == [0, 2] and frames[1].pixels.shape == (300, 400, 3)


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_every_frame_is_turned_by_the_exif_orientation_as_the_first_is(cat_then_astronaut, fmt):
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter clockwise, as a phone's animation may be stored
    clip = animation(fmt, cat_then_astronaut, 100, exif=exif.tobytes())
    image = decode_image(read_input(clip, f"clip.{fmt.lower()}"))
    info, frames = sample_animation(read_input(clip, "clip"), image, count=3)
    assert (info.width, info.height) == image.size == (300, 400)
    for frame, picture in zip(frames, cat_then_astronaut, strict=True):  # as shown, WebP's loss aside
        shown = np.rot90(picture, -1)
        assert frame.pixels.shape == shown.shape and np.abs(frame.pixels.astype(int) - shown).mean() < 4


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_every_frame_is_shown_in_srgb_as_the_first_is(cat_then_astronaut, fmt):
    from tests.media.icc import as_stored, display_profile

    icc = display_profile("Camera wide RGB")  # Adobe RGB (1998)'s primaries and gamma
    stored = [as_stored(picture, icc) for picture in cat_then_astronaut]
    clip = animation(fmt, stored, 100, icc_profile=icc, **({"lossless": True} if fmt == "WEBP" else {}))
    image = decode_image(read_input(clip, f"clip.{fmt.lower()}"))
    assert "colour profile 'Camera wide RGB' converted to sRGB" in image.notes
    _, frames = sample_animation(read_input(clip, "clip"), image, count=3)
    for frame, picture, kept in zip(frames, cat_then_astronaut, stored, strict=True):
        assert np.abs(kept.astype(int) - picture).mean() > 3  # read as sRGB, visibly washed out
        assert np.abs(frame.pixels.astype(int) - picture).mean() < 1  # converted back, as the first frame is


def test_frames_without_a_duration_show_for_a_tenth_of_a_second(cat_then_astronaut):
    clip = animation("GIF", cat_then_astronaut, 0)
    info, frames = sample_animation(read_input(clip, "clip.gif"), decode_image(read_input(clip, "clip.gif")), count=3)
    assert info.duration == pytest.approx(0.3) and [f.time for f in frames] == pytest.approx([0.0, 0.1, 0.2])


def test_a_tiff_of_two_pages_stays_a_still_judged_by_its_first():
    pages = [Image.fromarray(skdata.astronaut()), Image.fromarray(skdata.chelsea())]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:])
    found = find_faces(buffer.getvalue(), name="scan.tiff")
    assert found.kind == "image" and len(found.frames) == 1
    assert "TIFF holds 2 pictures: the first judged" in found.notes


def test_damaged_animation_frames_are_a_clear_error(cat_then_astronaut):
    clip = animation("GIF", cat_then_astronaut, 100)
    image = decode_image(read_input(clip, "clip.gif"))
    damaged = read_input(clip[: len(clip) * 2 // 3], "cut.gif")  # the header and first frame survive
    with pytest.raises(CorruptMediaError, match=r"cut\.gif"):
        sample_animation(damaged, image, count=3)
