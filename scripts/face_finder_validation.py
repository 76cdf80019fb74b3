"""Validation data for the BlazeFace-then-MTCNN cascade (issue 27): where BlazeFace can be trusted alone.

Usage: python scripts/face_finder_validation.py [--data ../shared/data] [--out runs/face-finder-val.json]
Runs BlazeFace (every candidate down to a low score) and MTCNN on inputs that `bench/faces.py` does not use: the
Yonsei *fake* photos and 8 frames of each FF++ c40 *fake* video (the benchmark reads the real ones), and writes
both detectors' faces per input. `--analyse` then prints, for each candidate "sure" score, how many inputs
BlazeFace would settle alone and how often its main face then agrees with MTCNN's (IoU >= 0.5), and how far its
landmarks sit from MTCNN's (in inter-ocular distances): the numbers the cascade's band is chosen from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetrust.faces import create_detector
from facetrust.media import decode_image, read_input, sample_frames
from facetrust.media.files import media_files

LOW = 0.2  # candidates below this are not considered at all


def inputs(data: Path) -> list[tuple[str, np.ndarray]]:
    images = [(p.name, decode_image(read_input(p)).pixels) for p in media_files(data / "faces/yonsei/fake")]
    frames = [(f"{p.name}#{k}", f.pixels) for p in media_files(data / "video/ffpp_c40/fake")
              for k, f in enumerate(sample_frames(read_input(p), count=8))]
    return images + frames


def collect(data: Path, out: Path) -> None:
    blaze, mtcnn = create_detector("blazeface", threshold=LOW), create_detector("mtcnn")
    rows = []
    for name, pixels in tqdm(inputs(data), desc="inputs", file=sys.stderr):
        rows.append({"input": name, "blazeface": [f.to_dict() for f in blaze.detect(pixels)],
                     "mtcnn": [f.to_dict() for f in mtcnn.detect(pixels)]})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows), encoding="utf-8")


def iou(a: list[float], b: list[float]) -> float:
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def analyse(path: Path) -> None:
    rows = json.loads(path.read_text(encoding="utf-8"))
    print(f"{len(rows)} inputs; MTCNN finds a face in {sum(bool(r['mtcnn']) for r in rows)}")
    print("| sure | settled by BlazeFace alone | of those, main face agrees with MTCNN | MTCNN found none |")
    print("|---:|---:|---:|---:|")
    for sure in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        settled = [r for r in rows if r["blazeface"] and min(f["score"] for f in r["blazeface"]) >= sure]
        agree = sum(bool(r["mtcnn"]) and iou(r["blazeface"][0]["box"], r["mtcnn"][0]["box"]) >= 0.5 for r in settled)
        none = sum(not r["mtcnn"] for r in settled)
        print(f"| {sure} | {len(settled)} ({len(settled) / len(rows):.1%}) | {agree / max(len(settled), 1):.1%} "
              f"| {none} |")
    offsets: dict[str, list[np.ndarray]] = {}
    for r in rows:
        if r["blazeface"] and r["mtcnn"] and iou(r["blazeface"][0]["box"], r["mtcnn"][0]["box"]) >= 0.5:
            ours, theirs = r["blazeface"][0]["landmarks"], r["mtcnn"][0]["landmarks"]
            eyes = np.linalg.norm(np.subtract(theirs["right_eye"], theirs["left_eye"]))
            for name in ("left_eye", "right_eye", "nose", "mouth"):
                offsets.setdefault(name, []).append(np.subtract(ours[name], theirs[name]) / eyes)
    print("\n| point | median offset BlazeFace - MTCNN (x, y), inter-ocular units | median distance |")
    print("|---|---|---:|")
    for name, values in offsets.items():
        stacked = np.array(values)
        median = np.median(stacked, axis=0)
        print(f"| {name} | ({median[0]:+.3f}, {median[1]:+.3f}) | {np.median(np.linalg.norm(stacked, axis=1)):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("runs/face-finder-val.json"))
    parser.add_argument("--analyse", action="store_true", help="summarise an existing --out file")
    args = parser.parse_args()
    if not args.analyse:
        collect(args.data, args.out)
    analyse(args.out)


if __name__ == "__main__":
    main()
