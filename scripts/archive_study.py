"""Archive a study's finished runs without their weights, so the study resumes from the archive.

Usage: python scripts/archive_study.py runs/studies/models studies/k140-models

Every run with a model card gets its table row measured (summary.json, which needs the weights once),
then its card, history, curves, config and row are copied; `compare`/`tune` pointed at the archive
reuse those rows and train only the runs that are missing. The study's own tables are copied too.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from facetrust.models.checkpoint import CARD_FILE
from facetrust.studies.runs import SUMMARY_FILE, summarise

KEPT = ("config.json", "history.csv", "curves.png", SUMMARY_FILE)


def main(source: Path, target: Path, timing: bool = True) -> None:
    for config in sorted((source / "runs").rglob("config.json")):  # compare: runs/<run>; tune: runs/<grid>/<cell>
        run = config.parent
        relative = run.relative_to(source)
        card = run / "model" / CARD_FILE
        if not card.exists():
            print(f"{relative}: not finished, left out")
            continue
        summarise(card.parent, timing=timing)
        (target / relative / "model").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(card, target / relative / "model" / CARD_FILE)
        for name in KEPT:
            if (run / name).exists():
                shutil.copyfile(run / name, target / relative / name)
        print(f"{relative}: archived")
    for table in source.glob("*.*"):
        shutil.copyfile(table, target / table.name)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), timing="--no-timing" not in sys.argv)
