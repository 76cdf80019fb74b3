"""One output folder, one set of settings: resumable jobs refuse to mix results made differently."""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, fields
from pathlib import Path
from typing import Any

from facetrust.errors import FacetrustError


def pin_settings(path: Path, settings: Any, refusal: str) -> None:
    """Write the dataclass `settings` to `path` on first use; later, raise if they differ, naming each changed
    setting.

    `refusal` starts the message, e.g. "runs/x holds a run with other settings"; the changes and
    "use a new folder" advice follow it. A setting added to the code after the file was written is read
    as its default, so a run started before the setting existed still resumes.
    """
    wanted = asdict(settings)
    if not path.exists():
        path.write_text(json.dumps(wanted, indent=2), encoding="utf-8")
        return
    stored = json.loads(path.read_text(encoding="utf-8"))
    found = {k: v for k, v in _defaults(settings).items() if k not in stored} | stored
    if found != wanted:
        changed = ", ".join(f"{k}: {found.get(k)!r} -> {v!r}" for k, v in wanted.items() if found.get(k) != v)
        raise FacetrustError(f"{refusal} ({changed}); use a new folder")


def _defaults(settings: Any) -> dict:
    """Each field's default value, for the fields that have one."""
    found = {}
    for spec in fields(settings):
        if spec.default is not MISSING:
            found[spec.name] = spec.default
        elif spec.default_factory is not MISSING:
            found[spec.name] = spec.default_factory()
    return found
