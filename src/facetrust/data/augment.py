"""Training augmentation on uint8 RGB face crops, seeded, chosen to mimic how faces reach a scanner:
re-compressed, rescaled, slightly blurred or sharpened, given sensor-like noise, shifted, tilted, re-coloured."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import av
import cv2
import numpy as np
from PIL import Image

from facetrust.errors import FacetrustError


@dataclass(frozen=True)
class Augment:
    """Probabilities and ranges of each augmentation; `Augment.none()` switches them all off."""

    flip: float = 0.5
    geometry: float = 0.3  # probability of the shift/rotation/zoom warp below; unwarped crops keep the
    # pixel grid that generator traces live on (the scanner never warps a face crop that fills its image)
    shift: float = 0.04  # fraction of the crop size
    rotate: float = 8.0  # degrees
    scale: float = 0.08
    color: float = 0.15  # brightness / contrast / saturation jitter
    jpeg: float = 0.5  # probability of re-compressing at quality in jpeg_quality
    jpeg_quality: tuple[int, int] = (50, 95)
    codec: float = 0.0  # probability of an H.264 round trip in place of the JPEG step: faces in videos reach a
    # scanner coded by a video codec (8-16 px blocks, smeared texture), not by JPEG (docs/DETECTOR.md, candidate Y)
    codec_crf: tuple[int, int] = (20, 40)  # x264's constant rate factor, from near-transparent to heavy
    codec_scale: tuple[float, float] = (0.5, 1.0)  # the crop is coded at this share of its side: a face in a frame
    # is usually smaller than the crop the scanner makes of it
    blur: float = 0.2
    blur_sigma: tuple[float, float] = (0.3, 1.2)  # px at the crop's size; a detector calls faces blurred beyond its
    # range fake (the pair bundled 2026-12-05: 31% of validation reals at sigma 2, docs/DETECTOR.md candidate P)
    sharpen: float = 0.0  # probability of an unsharp mask: with blur, the crop's sharpness says nothing of its class
    noise: float = 0.0  # probability of Gaussian pixel noise (sigma in noise_sigma): models otherwise learn
    # "grainy means a camera, so real" and call clean GAN faces real (docs/DETECTOR.md, candidate G)
    noise_sigma: tuple[float, float] = (1.0, 8.0)
    rescale: float = 0.25  # probability of a down-and-up resize (loss of detail)
    rescale_range: tuple[float, float] = (0.4, 0.8)  # the smaller side as a share of the crop's
    lowres_grey: float = 0.0  # probability of a small grey photo: luma only, shrunk to a side in lowres_size and
    # blown back up, as lab and archive faces reach a scanner. Candidate I (docs/DETECTOR.md) used it: fewer false
    # alarms on validation faces made small and grey, yet eight times more on CK+'s 48 px lab faces; no recipe ships it
    lowres_size: tuple[int, int] = (40, 80)
    border: float = 0.0  # probability of blacking out the crop outside a random window around the face:
    # aligned crops of tightly cut photos (UTKFace chips, DFDC crops) are black where the photo ended, so
    # without this a black frame would tell the model which data set, and so which class, a face came from

    def __post_init__(self) -> None:
        if self.codec and "libx264" not in av.codecs_available:  # refused before any crop is made, not mid-epoch
            raise FacetrustError("augment_options codec needs an H.264 encoder (libx264), which this PyAV build "
                                 "lacks: install PyAV's wheel from PyPI, or set codec to 0")

    @classmethod
    def none(cls) -> Augment:
        return cls(flip=0, geometry=0, shift=0, rotate=0, scale=0, color=0, jpeg=0, blur=0, sharpen=0, noise=0,
                   rescale=0, lowres_grey=0, border=0)

    def to_dict(self) -> dict:
        return asdict(self)

    def __call__(self, crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        size = crop.shape[0]
        crop = self.placed(crop, rng)
        if self.color:
            crop = _jitter_colour(crop, rng, self.color)
        if self.lowres_grey and rng.random() < self.lowres_grey:
            crop = small_grey(crop, int(rng.integers(*self.lowres_size, endpoint=True)))
        if rng.random() < self.rescale:
            small = max(32, int(size * rng.uniform(*self.rescale_range)))
            crop = cv2.resize(cv2.resize(crop, (small, small), interpolation=cv2.INTER_AREA), (size, size),
                              interpolation=cv2.INTER_LINEAR)
        if rng.random() < self.blur:
            crop = cv2.GaussianBlur(crop, (0, 0), rng.uniform(*self.blur_sigma))
        if self.sharpen and rng.random() < self.sharpen:
            crop = unsharp(crop, rng.uniform(0.3, 1.2))
        if self.noise and rng.random() < self.noise:
            noise = rng.normal(0.0, rng.uniform(*self.noise_sigma), crop.shape)
            crop = np.clip(crop + noise, 0, 255).astype(np.uint8)
        if self.codec and rng.random() < self.codec:
            side = int(size * rng.uniform(*self.codec_scale))
            crop = h264_roundtrip(crop, int(rng.integers(*self.codec_crf, endpoint=True)), side)
        elif rng.random() < self.jpeg:
            crop = jpeg_roundtrip(crop, int(rng.integers(*self.jpeg_quality, endpoint=True)))
        return np.ascontiguousarray(crop)

    def placed(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The flip, warp and black frame of this augmentation, from `rng`'s first draws: given a generator seeded as
        a crop's was, a map of that crop (a blend's seam) is moved exactly as the crop was."""
        size = image.shape[0]
        if rng.random() < self.flip:
            image = image[:, ::-1]
        if rng.random() < self.geometry:
            angle = rng.uniform(-self.rotate, self.rotate)
            zoom = 1 + rng.uniform(-self.scale, self.scale)
            matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, zoom)
            matrix[:, 2] += rng.uniform(-self.shift, self.shift, 2) * size
            image = cv2.warpAffine(np.ascontiguousarray(image), matrix, (size, size), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT_101)
        if self.border and rng.random() < self.border:
            image = black_frame(image, rng)
        return image


def black_frame(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The crop with everything outside a random window black; the window keeps the central 40% (the face)."""
    size = crop.shape[0]
    low, high = int(0.3 * size), int(0.7 * size)
    left, top = (int(v) for v in rng.integers(0, low + 1, 2))
    right, bottom = (int(v) for v in rng.integers(high, size + 1, 2))
    framed = np.zeros_like(crop)
    framed[top:bottom, left:right] = crop[top:bottom, left:right]
    return framed


def small_grey(crop: np.ndarray, side: int) -> np.ndarray:
    """The crop as a small grey photo scaled back to its size: luma at `side` x `side` pixels, three equal channels."""
    size = crop.shape[0]
    small = cv2.resize(cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY), (side, side),
                       interpolation=cv2.INTER_AREA)
    return np.repeat(cv2.resize(small, (size, size), interpolation=cv2.INTER_LINEAR)[:, :, None], 3, axis=2)


def unsharp(crop: np.ndarray, amount: float, sigma: float = 1.0) -> np.ndarray:
    """The crop sharpened by an unsharp mask: crop + amount * (crop - blurred crop)."""
    return cv2.addWeighted(crop, 1 + amount, cv2.GaussianBlur(crop, (0, 0), sigma), -amount, 0)


def jpeg_roundtrip(crop: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(crop).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def h264_roundtrip(crop: np.ndarray, crf: int, side: int) -> np.ndarray:
    """The square crop shrunk to `side` (made even, at least 32), coded as one H.264 frame (`h264_frame`) and
    scaled back to its size."""
    size = crop.shape[0]
    side = max(32, side - side % 2)
    if side >= size:
        return h264_frame(crop, crf)
    small = h264_frame(cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA), crf)
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_LINEAR)


def h264_frame(image: np.ndarray, crf: int) -> np.ndarray:
    """The RGB image coded as one H.264 intra frame at x264's constant rate factor `crf` on one thread (so the same
    image gives the same pixels) and decoded; an odd side is padded by its last row or column (4:2:0 chroma needs
    even sides) and the pad cut off again."""
    height, width = image.shape[:2]
    padded = np.pad(image, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="h264") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.height, stream.width = padded.shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast", "threads": "1"}
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(padded), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    with av.open(io.BytesIO(buffer.getvalue()), format="h264") as container:
        decoded = next(container.decode(video=0)).to_ndarray(format="rgb24")
    return np.ascontiguousarray(decoded[:height, :width])


def _jitter_colour(crop: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    pixels = crop.astype(np.float32)
    brightness, contrast, saturation = 1 + rng.uniform(-strength, strength, 3)
    grey = pixels.mean(axis=2, keepdims=True)
    pixels = grey + (pixels - grey) * saturation
    pixels = (pixels - pixels.mean()) * contrast + pixels.mean()
    return np.clip(pixels * brightness, 0, 255).astype(np.uint8)
