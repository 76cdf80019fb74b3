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
