"""Reading labels and splits off dataset folder names (`train/real/x.jpg`, `1_fake/x.png`, ...)."""

from __future__ import annotations

from pathlib import PurePath

REAL_NAMES = {"real", "0_real", "training_real", "original", "originals"}
FAKE_NAMES = {"fake", "1_fake", "ai", "training_fake", "manipulated", "synthetic"}
SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
               "test": "test", "public_test": "public_test", "private_test": "private_test"}


def label_of(relative: PurePath) -> str:
    """"real"/"fake" from the nearest matching folder, else the file's parent folder name, else ""."""
    folders = [p.lower() for p in relative.parts[:-1]]
    for folder in reversed(folders):
        if folder in REAL_NAMES:
            return "real"
        if folder in FAKE_NAMES:
            return "fake"
    return relative.parts[-2] if len(relative.parts) > 1 else ""


def split_of(relative: PurePath) -> str:
    """The split named by a folder on the path ("train", "val", "test", ...), else ""."""
    for folder in relative.parts[:-1]:
        if folder.lower() in SPLIT_NAMES:
            return SPLIT_NAMES[folder.lower()]
    return ""
