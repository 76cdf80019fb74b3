"""What interlacing does to the detector's frame scores, and what reading one field undoes (docs/VIDEO.md,
"Interlaced video").

Usage: python scripts/interlaced_frames.py [--data ../shared/data/video/ffpp_c40] [--clips 20] [--frames 8]
                                          [--picture docs/images/interlaced_face.png]
       python scripts/interlaced_frames.py --stills ../shared/data/faces/k140/val
Each clip (progressive, as FaceForensics++ ships them) is scored at `--frames` evenly spaced frames: as it is, from
its even lines only (one field: `facetrust.media.video.deinterlaced`, on frames that need none), and rebuilt within
the frame (`within_frame`, the other rebuild measured, not kept).
Then the clip is made interlaced as a broadcast camera films: each output frame woven from two successive frames
(even lines from the first, odd from the second), coded by x264 as interlaced, top field first; the same frames are
scored as decoded (combed, what facetrust read before), from one field, as `sample_frames` now gives a frame the
decoder flags interlaced (tests/media/test_video.py checks that it does), and rebuilt within the frame. Printed per
class: faces scored, mean P(fake), and the share called fake (P(fake) at or above the card's threshold plus band).
`--stills DIR` does the same on a split folder of photos instead (real/, fake/), each woven with itself panned
PAN px (the camera's move between fields), no codec: ROC-AUC and shares called fake, each way.
`--picture` draws, with each one's P(fake), a face that may be shown (skimage's astronaut, a NASA photo in the public
domain) as shot, woven with itself panned 4 px (a camera panning under interlacing), read from one field and
rebuilt within the frame; the
FaceForensics++ faces measured above are not ours to publish.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import matplotlib.pyplot as plt
import numpy as np
from skimage import data as skdata
from tqdm import tqdm

from facetrust.data.datasets import discover
from facetrust.detection import Scanner
from facetrust.evaluation.metrics import binary_metrics
from facetrust.evaluation.plots import save_figure
from facetrust.faces.stage import find_faces
from facetrust.media.video import deinterlaced


def frames_of(path: Path) -> Iterator[np.ndarray]:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def kept(frames: Iterator[np.ndarray], wanted: set[int]) -> dict[int, np.ndarray]:
    return {index: pixels for index, pixels in enumerate(frames) if index in wanted}


def weave(clip: Path, out: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """The clip interlaced at half its frame rate (frame k's even lines with frame k+1's odd lines), written to `out`
    as it is decoded; returns the progressive frames at the `wanted` indices (only those are kept in memory)."""
    progressive, previous = {}, None
    with av.open(str(clip)) as source:
        first = source.streams.video[0].codec_context
        height, width = first.height - first.height % 2, first.width - first.width % 2  # yuv420p needs even sides
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.options = {"x264-params": "interlaced=1:tff=1", "crf": "18"}
        for index, pixels in enumerate(frames_of(clip)):
            if index in wanted:
                progressive[index] = pixels
            if index % 2 == 0:
                previous = pixels
                continue
            woven = previous[:height, :width].copy()
            woven[1::2] = pixels[1:height:2, :width]
            container.mux(stream.encode(av.VideoFrame.from_ndarray(woven, format="rgb24")))
        container.mux(stream.encode())
    return progressive


def most_suspicious(scanner: Scanner, pixels: np.ndarray) -> float | None:
    result = scanner.judge([find_faces(pixels, scanner.finder, frames=1)])[0]
    return max((face.p_fake for face in result.faces), default=None)


PAN = 4  # px the camera moves between fields in the stills and the picture (docs/VIDEO.md)


def save_picture(scanner: Scanner, path: Path) -> None:
    photo = skdata.astronaut()
    combed = panned_weave(photo)
    figure, axes = plt.subplots(1, 4, figsize=(12.8, 3.6))
    for axis, (name, pixels) in zip(axes, (("as shot", photo), ("interlaced, combed", combed),
                                           ("one field (facetrust now)", deinterlaced(combed)),
                                           ("within the frame (not kept)", within_frame(combed))), strict=True):
        found = find_faces(pixels, scanner.finder, frames=1)
        face = scanner.judge([found])[0].faces[0]
        axis.imshow(found.frames[0].faces[0].crop)
        axis.set_title(f"{name}\nP(fake) {face.p_fake:.2f}", fontsize=9)
        axis.axis("off")
    save_figure(figure, path)


def within_frame(pixels: np.ndarray, tolerance: int = 12) -> np.ndarray:
    """The other rebuild measured (not kept): an odd-line pixel outside both even-line neighbours by more than
    `tolerance` in some channel becomes their mean; everything else keeps both fields."""
    frame = pixels.astype(np.int16)
    above, below, odd = frame[0:-2:2], frame[2::2], frame[1:-1:2]
    outside = ((odd > np.maximum(above, below) + tolerance)
               | (odd < np.minimum(above, below) - tolerance)).any(axis=2, keepdims=True)
    rebuilt = pixels.copy()
    rebuilt[1:-1:2] = np.where(outside, (above + below + 1) // 2, odd).astype(np.uint8)
    return rebuilt


def panned_weave(photo: np.ndarray) -> np.ndarray:
    """The photo woven with itself panned PAN px: its odd lines (the second field) from the moved camera."""
    combed = photo.copy()
    combed[1::2] = np.roll(photo, PAN, axis=1)[1::2]
    return combed


def still_ways(photo: np.ndarray) -> dict[str, np.ndarray]:
    combed = panned_weave(photo)
    return {"as shot": photo, "as shot, one field": deinterlaced(photo),
            "as shot, within the frame": within_frame(photo), "combed": combed,
            "combed, one field (facetrust now)": deinterlaced(combed),
            "combed, within the frame (not kept)": within_frame(combed)}


def measure_stills(scanner: Scanner, folder: Path, line: float) -> None:
    scores: dict[str, list[float]] = defaultdict(list)
    labels = []
    for sample in tqdm(discover(folder), desc="photos", unit="photo"):
        read = {name: most_suspicious(scanner, pixels) for name, pixels in
                still_ways(cv2.cvtColor(cv2.imread(str(sample.path)), cv2.COLOR_BGR2RGB)).items()}
        if any(face is None for face in read.values()):
            continue  # no face found one way: left out of all
        labels.append(sample.label)
        for name, p_fake in read.items():
            scores[name].append(p_fake)
    print(f"| {folder}, panned {PAN} px | ROC-AUC | real called fake | fakes called fake |\n|---|---:|---:|---:|")
    for name, values in scores.items():
        metrics = binary_metrics(np.array(labels), np.array(values), line)
        print(f"| {name} | {metrics['roc_auc']:.3f} | {metrics['fpr']:.3f} | {metrics['recall']:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/video/ffpp_c40"))
    parser.add_argument("--clips", type=int, default=20, help="clips per class (the first, by name)")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--picture", type=Path, help="draw a face as shot, combed, from one field and "
                        "within the frame; then stop")
    parser.add_argument("--stills", type=Path, help="a split folder of photos to interlace instead of the clips")
    args = parser.parse_args()
    scanner = Scanner(provenance=False)
    if args.picture:
        save_picture(scanner, args.picture)
        return
    line = scanner.decision.threshold + scanner.decision.uncertain_band
    if args.stills:
        measure_stills(scanner, args.stills, line)
        return
    scratch = Path(tempfile.mkdtemp(prefix="facetrust-interlaced-"))
    print("| class | frames | faces | mean P(fake) | called fake |\n|---|---|---:|---:|---:|")
    for label in ("real", "fake"):
        scores: dict[str, list[float]] = defaultdict(list)
        for clip in tqdm(sorted((args.data / label).glob("*.mp4"))[:args.clips], desc=label, unit="clip"):
            woven_count = sum(1 for _ in frames_of(clip)) // 2
            positions = [int(p) for p in np.linspace(0, woven_count - 1, args.frames).round()]
            interlaced = scratch / clip.name
            progressive_frames = weave(clip, interlaced, {2 * p for p in positions})  # each woven frame's first moment
            combed = kept(frames_of(interlaced), set(positions))
            for position in positions:
                progressive = progressive_frames[2 * position]
                for name, pixels in (("progressive", progressive),
                                     ("progressive, one field", deinterlaced(progressive)),
                                     ("progressive, within the frame", within_frame(progressive)),
                                     ("interlaced, combed", combed[position]),
                                     ("interlaced, one field (facetrust now)", deinterlaced(combed[position])),
                                     ("interlaced, within the frame (not kept)", within_frame(combed[position]))):
                    scores[name].append(most_suspicious(scanner, pixels))
        for name, values in scores.items():
            found = np.array([v for v in values if v is not None])
            called = (found >= line).mean()
            print(f"| {label} | {name} | {len(found)} | {found.mean():.3f} | {called:.3f} |", flush=True)


if __name__ == "__main__":
    main()
