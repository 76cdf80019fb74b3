"""How long `facetrust --help` and a one-image scan take now against a baseline commit, as ratios in one run.

Usage: python bench/cli_startup.py [--baseline 8fbdbc9] [--repeats 5]
The baseline commit is checked out into a temporary git worktree; both trees run each command with the same
interpreter (this venv), taking turns, and the median of the repeats is reported, so a busy machine slows both
alike. Goals: `--help` at least 3x faster (issue 26), a one-image scan at least 2x (issue 27).
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


COMMANDS = {"`facetrust --help`": (["--help"], 3.0),
            "`facetrust scan` of one image": (["scan", str(REPO / "examples/real_00003.jpg")], 2.0)}


def command_seconds(source: Path, arguments: list[str]) -> float:
    """Wall time of one `python -m facetrust ARGUMENTS` with `source` (a tree's src/) first on the path."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "facetrust", *arguments], env=env, check=True, capture_output=True)
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
        trees = {f"baseline {args.baseline}": baseline / "src", "this tree": REPO / "src"}
        try:
            times = {command: time_trees(trees, arguments, args.repeats)
                     for command, (arguments, _) in COMMANDS.items()}
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)], check=True)
    print(f"CPU: {describe_cpu()}\n")
    print("| command | tree | median s | runs |")
    print("|---|---|---:|---|")
    for command, by_tree in times.items():
        for name, values in by_tree.items():
            print(f"| {command} | {name} | {statistics.median(values):.2f} | {', '.join(f'{v:.2f}' for v in values)} |")
    print()
    for command, by_tree in times.items():
        baseline_median, now_median = (statistics.median(values) for values in by_tree.values())
        print(f"{command}: {baseline_median / now_median:.1f}x faster than the baseline "
              f"(goal: at least {COMMANDS[command][1]:.0f}x)")


def time_trees(trees: dict[str, Path], arguments: list[str], repeats: int) -> dict[str, list[float]]:
    """Each tree's wall times of one command, the trees taking turns after one warm-up run each."""
    for source in trees.values():
        command_seconds(source, arguments)  # warm the file cache, bytecode and any exported graph
    times: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(repeats):
        for name, source in trees.items():
            times[name].append(command_seconds(source, arguments))
    return times


if __name__ == "__main__":
    main()
