"""One output folder, one set of settings: resumable jobs refuse to mix results made differently."""

from __future__ import annotations

import json
from pathlib import Path

from facetrust.errors import FacetrustError


def pin_settings(path: Path, wanted: dict, refusal: str, defaults: dict | None = None) -> None:
    """Write `wanted` to `path` on first use; later, raise if it differs, naming each changed setting.

    `refusal` starts the message, e.g. "runs/x holds a run with other settings"; the changes and
    "use a new folder" advice follow it. A setting added to the code after the file was written is read
    as its value in `defaults`, so a run started before the setting existed still resumes.
    """
    if not path.exists():
        path.write_text(json.dumps(wanted, indent=2), encoding="utf-8")
        return
    stored = json.loads(path.read_text(encoding="utf-8"))
    found = {k: v for k, v in (defaults or {}).items() if k not in stored} | stored
    if found != wanted:
        changed = ", ".join(f"{k}: {found.get(k)!r} -> {v!r}" for k, v in wanted.items() if found.get(k) != v)
        raise FacetrustError(f"{refusal} ({changed}); use a new folder")
