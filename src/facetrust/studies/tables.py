"""Study tables as Markdown (for papers and docs) and CSV (for spreadsheets), from the same rows."""

from __future__ import annotations

import csv
from pathlib import Path


def write_table(rows: list[dict], stem: Path, columns: tuple[str, ...]) -> list[Path]:
    """`stem`.md and `stem`.csv with these columns (a column no row has is left out)."""
    present = [c for c in columns if any(c in row for row in rows)]
    with open(stem.with_suffix(".csv"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=present, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| " + " | ".join(present) + " |", "|" + "---|" * len(present)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in present) + " |" for row in rows]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [stem.with_suffix(".md"), stem.with_suffix(".csv")]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|").replace("\n", " ")
