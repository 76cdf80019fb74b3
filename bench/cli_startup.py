"""How long `facetrust --help` takes now against a baseline commit, as a ratio measured in one run.

Usage: python bench/cli_startup.py [--baseline 8fbdbc9] [--repeats 5]
The baseline commit is checked out into a temporary git worktree; both trees run `python -m facetrust --help`
with the same interpreter (this venv), taking turns, and the median of the repeats is reported, so a busy
machine slows both alike. Issue 26's goal: baseline / now at least 3.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_cpu

REPO = Path(__file__).resolve().parents[1]


def help_seconds(source: Path) -> float:
    """Wall time of one `python -m facetrust --help` with `source` (a tree's src/) first on the path."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "facetrust", "--help"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="8fbdbc9", help="commit before the lazy command line")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        baseline = Path(scratch) / "baseline"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(baseline), args.baseline],
                       check=True, capture_output=True)
        try:
            trees = {f"baseline {args.baseline}": baseline / "src", "this tree": REPO / "src"}
            for source in trees.values():
                help_seconds(source)  # warm the file cache and bytecode for both
            times: dict[str, list[float]] = {name: [] for name in trees}
            for _ in range(args.repeats):
                for name, source in trees.items():
                    times[name].append(help_seconds(source))
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)], check=True)
    print(describe_cpu())
    print("| tree | `facetrust --help` median s | runs |")
    print("|---|---|---|")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"| {name} | {medians[name]:.2f} | {', '.join(f'{v:.2f}' for v in values)} |")
    ratio = medians[f"baseline {args.baseline}"] / medians["this tree"]
    print(f"\nbaseline / this tree: {ratio:.1f}x faster (goal: at least 3x)")


if __name__ == "__main__":
    main()
