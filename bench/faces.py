"""Face-detector benchmark on real data: detection rate and speed per detector, in one run.

Usage: python bench/faces.py [--data ../shared/data] [--frames-per-video 8] [--detectors mtcnn,ssd,dlib_hog]

For each detector it reports, on the same decoded inputs: the fraction of faces/yonsei/real images
and of frames sampled from video/ffpp_c40/real videos where at least one face is found, the fraction
with more than one face (every input shows one person, so extra faces are mostly false positives),
and milliseconds per image/frame (detection + landmarks, after one warm-up call).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from facetrust.faces import create_detector, list_detectors
from facetrust.media import decode_image, read_input, sample_frames
from facetrust.media.files import media_files


def load_sets(data: Path, frames_per_video: int) -> dict[str, list[np.ndarray]]:
    images = [decode_image(read_input(p)).pixels for p in media_files(data / "faces/yonsei/real")]
    frames = [f.pixels for p in media_files(data / "video/ffpp_c40/real")
              for f in sample_frames(read_input(p), count=frames_per_video)]
    return {"yonsei/real images": images, "ffpp_c40/real frames": frames}


def measure(detector_name: str, inputs: list[np.ndarray]) -> tuple[float, float, float]:
    detector = create_detector(detector_name)
    detector.detect(inputs[0])  # warm-up: weights load lazily
    found = multi = 0
    start = time.perf_counter()
    for pixels in inputs:
        faces = detector.detect(pixels)
        found += bool(faces)
        multi += len(faces) > 1
    elapsed = time.perf_counter() - start
    return found / len(inputs), multi / len(inputs), 1000 * elapsed / len(inputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    parser.add_argument("--frames-per-video", type=int, default=8)
    parser.add_argument("--detectors", default=",".join(list_detectors()))
    args = parser.parse_args()
    sets = load_sets(args.data, args.frames_per_video)
    print("| detector | set | n | face found | >1 face | ms / input |")
    print("|---|---|---:|---:|---:|---:|")
    for name in args.detectors.split(","):
        for set_name, inputs in sets.items():
            found, multi, ms = measure(name, inputs)
            print(f"| {name} | {set_name} | {len(inputs)} | {found:.1%} | {multi:.1%} | {ms:.1f} |", flush=True)


if __name__ == "__main__":
    main()
