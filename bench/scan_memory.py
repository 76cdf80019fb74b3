"""Peak resident memory of `facetrust scan` over 2,000 images, now against a baseline commit, in one run.

Usage: python bench/scan_memory.py [--baseline 2db5cad] [--count 2000] [--data ../shared/data/faces]
The images are a seeded draw from every shared face set (small crops and 600 px photos alike), linked into a
temporary folder. The baseline commit is checked out into a temporary git worktree; both trees scan the same
folder with the same interpreter and the default model, one process each, and each process's own peak RSS is read
from the kernel (os.wait4). Issue 27's goal: at most 60% of the 3.6 GB measured when it was filed.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_cpu

REPO = Path(__file__).resolve().parents[1]
FILED_PEAK_GB = 3.6  # issue 27's "today" (bench/scan_speed.py's process, both backends loaded)


def draw_images(data: Path, count: int, folder: Path) -> int:
    """Link a seeded draw of `count` images from `data` into `folder` (200 a subfolder); returns how many."""
    files = sorted(p for p in data.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    random.Random(0).shuffle(files)
    for i, path in enumerate(files[:count]):
        target = folder / f"{i // 200:02d}" / f"{i:04d}{path.suffix.lower()}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path.resolve())
    return min(count, len(files))


def peak_of_scan(source: Path, images: Path) -> tuple[float, float]:
    """(peak RSS in GB, seconds) of one `python -m facetrust scan` with `source` (a tree's src/) on the path."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as records:
        process = subprocess.Popen([sys.executable, "-m", "facetrust", "scan", str(images), "--json", records.name],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: some input failed, which a batch reports and survives
        raise SystemExit(f"scan with {source} failed: exit status {os.waitstatus_to_exitcode(status)}")
    return usage.ru_maxrss / 1024**2, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="2db5cad", help="commit before the memory work of issue 27")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/faces")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        images = Path(scratch) / "images"
        drawn = draw_images(args.data, args.count, images)
        baseline = Path(scratch) / "baseline"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(baseline), args.baseline],
                       check=True, capture_output=True)
        try:
            rows = [(name, *peak_of_scan(tree / "src", images))
                    for name, tree in ((f"baseline {args.baseline}", baseline), ("now", REPO))]
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)], check=True)
    print(f"CPU: {describe_cpu()}")
    print(f"`facetrust scan` over {drawn} images of {args.data}, default model and face finder, one process each\n")
    print("| code | peak RSS (GB) | seconds | of the baseline's peak | of the 3.6 GB at filing |")
    print("|---|---:|---:|---:|---:|")
    for name, peak, seconds in rows:
        print(f"| {name} | {peak:.2f} | {seconds:.0f} | {peak / rows[0][1]:.2f} | {peak / FILED_PEAK_GB:.2f} |")


if __name__ == "__main__":
    main()
