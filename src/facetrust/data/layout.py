"""Reading labels and splits off dataset folder names (`train/real/x.jpg`, `1_fake/x.png`, ...)."""

from __future__ import annotations

from pathlib import PurePath

from facetrust.errors import FacetrustError

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


def distinct_names(paths: list[str]) -> list[str]:
    """A name per dataset path that tells it from the others: its last component, lengthened by parent folders
    where names collide, so `k140/test` and `dfdc_crops/test` are not both `test`."""
    parts = [PurePath(path).parts for path in paths]
    if len(set(parts)) != len(parts):
        raise FacetrustError(f"a dataset is given twice: {paths}")
    depth = [1] * len(parts)
    while True:
        names = ["/".join(p[-d:]) for p, d in zip(parts, depth, strict=True)]
        clashing = {name for name in names if names.count(name) > 1}
        if not clashing:
            return names
        depth = [d + (name in clashing and d < len(p)) for p, d, name in zip(parts, depth, names, strict=True)]
