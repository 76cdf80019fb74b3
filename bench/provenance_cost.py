"""What reading provenance (C2PA, XMP, generator chunks, EXIF) adds to a scan, as a ratio measured in one run.

Usage: python bench/provenance_cost.py [--data ../shared/data/faces/k140/test] [--files 120] [--repeats 3]
The same scanner scans the same files with provenance off and on, taking turns, and the median of the
repeats is reported, so a busy machine slows both alike. Issue 29's goal: on / off at most 1.1.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_cpu

from facetrust.detection import Scanner
from facetrust.media.files import media_files


def scan_seconds(scanner: Scanner, files: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    for name, data in files:
        scanner.scan(data, name=name)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/faces/k140/test"))
    parser.add_argument("--files", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    files = [(str(path), path.read_bytes()) for path in sorted(media_files(args.data))[: args.files]]
    scanners = {"off": Scanner(provenance=False)}
    scanners["on"] = copy.copy(scanners["off"])  # the same loaded model: only the provenance stage differs
    scanners["on"].provenance = True
    scan_seconds(scanners["off"], files[:8])  # warm-up: lazy weights, thread pools
    times: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(args.repeats):
        for mode in ("off", "on"):
            times[mode].append(scan_seconds(scanners[mode], files))
    off, on = (statistics.median(times[mode]) for mode in ("off", "on"))
    print(f"CPU: {describe_cpu()}")
    print(f"{len(files)} files from {args.data}, median of {args.repeats} runs each")
    print(f"| provenance | ms per file |\n|---|---:|\n| off | {1000 * off / len(files):.1f} |\n"
          f"| on | {1000 * on / len(files):.1f} |")
    print(f"ratio on / off: {on / off:.3f} (goal: at most 1.1)")


if __name__ == "__main__":
    main()
