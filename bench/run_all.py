"""Every speed and memory benchmark of issue 27 in one run, written as a dated page in docs/PERFORMANCE.md's format.

Usage: python bench/run_all.py [--out docs/benchmarks] [--only scan_speed,scan_memory]   (`make bench`)
Each benchmark runs as its own process, one after another (so none competes with another for the CPU), and prints
its ratios against a baseline it measured in the same run; its output goes under its own heading in
`<out>/<date>-<time>-<cpu>.md`, which starts with the date and the CPU. A benchmark that fails is recorded as failed and
the others still run. The page is rewritten after each benchmark, so an interrupted run keeps what finished.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_cpu

from facetrust.atomic import atomic_write

REPO = Path(__file__).resolve().parents[1]
# (script, its arguments, what it measures): the order runs cheap and independent first
BENCHMARKS = (
    ("cli_startup.py", (), "Start-up: `facetrust --help` and a one-image scan against an older commit"),
    ("faces.py", (), "Face finders: recall and time per image (MTCNN, BlazeFace, the cascade)"),
    ("scan_speed.py", (), "Scanning: facetrust's pipeline against the naive one, pre-cropped and with face finding "
                          "(k140 test)"),
    ("scan_speed.py", ("--data", "../shared/data/faces/yonsei/real"),
     "Scanning: the same on Yonsei's real photos (issue 27 point 1's second set)"),
    ("spin_wait.py", (), "onnxruntime threads spin-waiting or not: the pre-cropped scan in alternating order"),
    ("int8_classifier.py", (), "int8 against fp32: speed and changed verdicts"),
    ("video_speed.py", (), "Video: seconds per stage for 32 sampled frames of a 720p clip"),
    ("scan_memory.py", (), "Memory: peak RSS of `facetrust scan` over 2,000 images against an older commit"),
)


def page_name(started: datetime, cpu: str) -> str:
    """`<date>-<hour><minute>-<cpu model>` in file-name characters: two runs of a day keep two pages."""
    model = re.sub(r"[^A-Za-z0-9]+", "-", cpu.split(",")[0]).strip("-").lower()
    return f"{started:%Y-%m-%d-%H%M}-{model}.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs/benchmarks")
    parser.add_argument("--only", help="comma-separated script names (without .py) to run, in the usual order")
    args = parser.parse_args()
    chosen = [(script, arguments, what) for script, arguments, what in BENCHMARKS
              if not args.only or script.removesuffix(".py") in args.only.split(",")]
    started, cpu = datetime.now(UTC), describe_cpu()
    page = args.out / page_name(started, cpu)
    args.out.mkdir(parents=True, exist_ok=True)
    sections = [f"# Benchmarks of {started:%Y-%m-%d %H:%M} UTC\n\nCPU: {cpu}\n\nWritten by `python bench/run_all.py` "
                f"(`make bench`); each section is one benchmark's own output, its ratios measured in its own run.\n"]
    for script, arguments, what in chosen:
        command = " ".join((f"bench/{script}", *arguments))
        print(f"running {command} ...", flush=True)
        began = time.perf_counter()
        done = subprocess.run([sys.executable, str(REPO / "bench" / script), *arguments], cwd=REPO,
                              capture_output=True, text=True)
        minutes = (time.perf_counter() - began) / 60
        body = done.stdout.strip() if done.returncode == 0 else (
            f"**failed** (exit status {done.returncode}):\n\n```\n{done.stderr.strip()[-2000:]}\n```")
        sections.append(f"## {what}\n\n`python {command}`, {minutes:.1f} minutes\n\n{body}\n")
        with atomic_write(page) as partial:
            partial.write_text("\n".join(sections), encoding="utf-8")
    print(f"wrote {page}")


if __name__ == "__main__":
    main()
