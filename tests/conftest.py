"""Shared fixtures: real photos shipped in packages, real data from ../shared/data, and bad inputs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """A real 512x512 portrait (Eileen Collins) that ships with scikit-image."""
    return skdata.astronaut()


@pytest.fixture(scope="session")
def cat() -> np.ndarray:
    """A real photo of a cat: no human face in it."""
    return skdata.chelsea()


def encode(array: np.ndarray, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def astronaut_jpeg(astronaut: np.ndarray) -> bytes:
    return encode(astronaut, "JPEG", quality=92)


@pytest.fixture(scope="session")
def ffpp_real_video(shared_data: Path) -> Path:
    return sorted((shared_data / "video/ffpp_c40/real").glob("youtube_*.mp4"))[0]


@pytest.fixture
def bad_inputs(tmp_path, astronaut, astronaut_jpeg, cat, ffpp_real_video) -> Path:
    """A folder holding every kind of bad input the media layer must survive, plus a faceless photo."""
    from PIL import Image

    from tests.media.test_image import png_bomb
    from tests.media.test_video import make_video

    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "zero.jpg").write_bytes(b"")
    (folder / "truncated.jpg").write_bytes(astronaut_jpeg[: len(astronaut_jpeg) // 2])
    (folder / "text.jpg").write_text("this is a text file\n")
    (folder / "bomb.png").write_bytes(png_bomb(100_000))
    Image.new("RGB", (1, 1)).save(folder / "one_pixel.png")
    frames = [Image.fromarray(astronaut), Image.fromarray(cat)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100)
    Image.fromarray(astronaut).convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray(np.asarray(Image.fromarray(astronaut).convert("L"), np.uint16) * 257).save(folder / "16bit.png")
    (folder / "audio_only.mp4").write_bytes(make_video(audio_only=True))
    corrupt = bytearray(ffpp_real_video.read_bytes())
    corrupt[64:] = np.random.default_rng(0).integers(0, 256, len(corrupt) - 64, dtype=np.uint8).tobytes()
    (folder / "corrupt.mp4").write_bytes(bytes(corrupt))
    Image.fromarray(cat).save(folder / "no_face.jpg")
    return folder


@pytest.fixture(autouse=True, scope="session")
def _private_crop_cache(tmp_path_factory) -> None:
    """Tests never read or write the user's crop cache."""
    import os

    os.environ["FACETRUST_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


def copy_k140_test_faces(shared_data: Path, dest: Path, per_class: int) -> Path:
    """A small real/fake folder: the first `per_class` k140 test faces of each class, copied to `dest`."""
    import shutil

    for label in ("real", "fake"):
        (dest / label).mkdir(parents=True)
        for path in sorted((shared_data / "faces/k140/test" / label).iterdir())[:per_class]:
            shutil.copy(path, dest / label / path.name)
    return dest


def bundled_network() -> Path:
    """One network of the bundled detector (its sharp branch, itself a pair in one graph): for tests of what a
    single model folder does (ONNX export and checks, weights, shifted copies); the bundled detector is a routed
    model whose branches are such folders."""
    from facetrust.bundled import default_model_path

    return default_model_path() / "sharp"
