"""One output folder, one set of settings: a changed setting is refused, a setting added since is not."""

import json
from dataclasses import dataclass

import pytest

from facetrust.errors import FacetrustError
from facetrust.settings_lock import pin_settings


@dataclass
class Settings:
    lr: float
    epochs: int = 3
    teacher: str | None = None


def test_a_changed_setting_is_refused_by_name(tmp_path):
    path = tmp_path / "config.json"
    pin_settings(path, Settings(lr=0.1), "run holds other settings")
    pin_settings(path, Settings(lr=0.1), "run holds other settings")
    with pytest.raises(FacetrustError, match=r"run holds other settings \(epochs: 3 -> 4\)"):
        pin_settings(path, Settings(lr=0.1, epochs=4), "run holds other settings")


def test_a_setting_added_since_resumes_at_its_default_and_is_refused_otherwise(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"lr": 0.1, "epochs": 3}))  # written before `teacher` existed
    pin_settings(path, Settings(lr=0.1), "run holds other settings")
    with pytest.raises(FacetrustError, match="teacher: None -> 'x'"):
        pin_settings(path, Settings(lr=0.1, teacher="x"), "run holds other settings")
