"""Seeded image degradations for robustness curves: what re-uploads, screenshots, video stills, phone photo formats
and bad cameras do.

Each degradation maps (RGB image, strength, random generator) to a new RGB image. The generator is
seeded per file from the report's seed and the file name, so a report is reproducible and `evaluate`
on the written images gives the report's numbers exactly.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from facetrust.data.augment import h264_frame
from facetrust.data.datasets import Sample
from facetrust.errors import MediaError
from facetrust.media import decode_image, read_input


def _jpeg(image: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    _, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _downscale(image: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    height, width = image.shape[:2]
    size = (max(8, round(width * factor)), max(8, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _blur(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigmaX=sigma)


def _noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return (image.astype(np.float32) + rng.normal(0.0, sigma, image.shape)).clip(0, 255).astype(np.uint8)


def _h264(image: np.ndarray, crf: float, rng: np.random.Generator) -> np.ndarray:
    return h264_frame(image, int(crf))


def _heic(image: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    """Saved and read back as an iPhone saves photos: one HEVC still in a HEIF file (libheif's x265, deterministic)."""
    import pillow_heif

    buffer = io.BytesIO()
    height, width = image.shape[:2]
    still = pillow_heif.from_bytes("RGB", (width, height), np.ascontiguousarray(image).tobytes())
    still.save(buffer, quality=int(quality))
    return np.asarray(pillow_heif.open_heif(buffer, convert_hdr_to_8bit=True).to_pillow().convert("RGB"))


def _crop(image: np.ndarray, keep: float, rng: np.random.Generator) -> np.ndarray:
    height, width = image.shape[:2]
    new_h, new_w = max(8, round(height * keep)), max(8, round(width * keep))
    top, left = int(rng.integers(0, height - new_h + 1)), int(rng.integers(0, width - new_w + 1))
    return image[top:top + new_h, left:left + new_w].copy()


@dataclass(frozen=True)
class Degradation:
    """A named degradation, its strengths from mild to harsh, and what the strength means."""

    name: str
    apply: Callable[[np.ndarray, float, np.random.Generator], np.ndarray]
    strengths: tuple[float, ...]
    unit: str


DEGRADATIONS = {d.name: d for d in (
    Degradation("jpeg", _jpeg, (95, 75, 50, 30), "JPEG quality"),
    Degradation("downscale", _downscale, (0.75, 0.5, 0.25), "scale factor"),
    Degradation("blur", _blur, (1.0, 2.0, 3.0), "Gaussian sigma (px)"),
    Degradation("noise", _noise, (5.0, 10.0, 20.0), "Gaussian noise sigma (of 255)"),
    Degradation("crop", _crop, (0.9, 0.8, 0.7), "share of each side kept (random offset)"),
    Degradation("h264", _h264, (23.0, 32.0, 40.0), "x264 constant rate factor (one frame, as a video still)"),
    Degradation("heic", _heic, (75.0, 50.0, 30.0), "HEIC quality (an HEVC still, as iPhones save photos)"),
)}


def file_rng(seed: int, name: str) -> np.random.Generator:
    """A generator that depends only on the report's seed and the file's name."""
    return np.random.default_rng([seed, int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)])


def degrade_samples(samples: list[Sample], degradation: Degradation, strength: float, seed: int,
                    destination: Path, progress: bool = True) -> Path:
    """Write every sample, degraded, as lossless PNG into destination/{real,fake}/ (kept if already
    complete); unreadable files are left out, as `evaluate` would skip them."""
    done = destination / ".complete"
    if done.exists():
        return destination
    for sample in tqdm(samples, desc=f"{degradation.name} {strength:g}", unit="img", disable=not progress):
        try:
            image = decode_image(read_input(sample.path)).pixels
        except MediaError:
            continue
        label = "fake" if sample.label else "real"
        name = f"{sample.path.stem}-{hashlib.sha256(str(sample.path).encode()).hexdigest()[:6]}.png"
        out = destination / label / name
        out.parent.mkdir(parents=True, exist_ok=True)
        degraded = degradation.apply(image, strength, file_rng(seed, name))
        cv2.imwrite(str(out), cv2.cvtColor(degraded, cv2.COLOR_RGB2BGR))
    done.touch()
    return destination
