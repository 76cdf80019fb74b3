"""Video datasets: labels from folders, FaceForensics++ identities and methods from file names, and
identity-disjoint folds (a fake made from people A and B never shares a fold with A or B)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from facetrust.data.layout import label_of
from facetrust.errors import FacetrustError
from facetrust.media.files import media_files

VIDEO_EXTENSIONS = {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".mpg", ".mpeg", ".3gp", ".flv"}
FFPP_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures", "FaceShifter", "DeepFakeDetection")
_FAKE_NAME = re.compile(r"^(?P<method>[A-Za-z0-9]+)_(?P<target>\d+)_(?P<source>\d+)$")
_YOUTUBE_NAME = re.compile(r"^(?:youtube_)?(?P<id>\d+)$")
_ACTOR_NAME = re.compile(r"^actors?_(?P<id>\d+)__")


@dataclass(frozen=True)
class VideoSample:
    """One labelled video: `method` is "real" or the manipulation; `identities` are the people in it."""

    path: Path
    label: int
    method: str
    identities: tuple[str, ...]


def parse_name(stem: str, label: int) -> tuple[str, tuple[str, ...]]:
    """(method, identities) from a FaceForensics++-style name; unknown names are their own identity.

    `Deepfakes_183_253` → ("Deepfakes", ("183", "253")); `youtube_183` → ("real", ("183",));
    `actors_01__kitchen_pan` → ("real", ("actor01",)).
    """
    if match := _FAKE_NAME.match(stem):
        return (match["method"] if label else "real"), (match["target"], match["source"])
    method = "real" if label == 0 else next((m for m in FFPP_METHODS if stem.startswith(m)), "fake")
    if match := _YOUTUBE_NAME.match(stem):
        return method, (match["id"],)
    if match := _ACTOR_NAME.match(stem):
        return method, (f"actor{int(match['id']):02d}",)
    return method, (stem,)


def discover_videos(root: str | Path) -> list[VideoSample]:
    """Videos under `real/` and `fake/` folders (and their aliases), sorted by path."""
    root = Path(root)
    if not root.is_dir():
        raise FacetrustError(f"{root}: no such folder")
    samples = []
    for path in media_files(root):
        label = label_of(PurePath(path.relative_to(root).as_posix()))
        if path.suffix.lower() in VIDEO_EXTENSIONS and label in ("real", "fake"):
            value = int(label == "fake")
            samples.append(VideoSample(path, value, *parse_name(path.stem, value)))
    if not samples:
        raise FacetrustError(f"{root}: found no videos under real/ or fake/ folders")
    return samples


def identity_components(samples: list[VideoSample]) -> list[int]:
    """A component number per video: videos sharing any identity, directly or through others, share one."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for sample in samples:
        first, *rest = sample.identities
        for other in rest:
            parent[find(other)] = find(first)
    roots = [find(s.identities[0]) for s in samples]
    numbering = {root: k for k, root in enumerate(dict.fromkeys(roots))}
    return [numbering[r] for r in roots]


def identity_folds(samples: list[VideoSample], folds: int) -> list[int]:
    """A fold per video such that no identity appears in two folds; components are dealt largest first
    to the fold with fewest videos so far, which keeps folds close in size. Fails if there are fewer
    components than folds."""
    components = identity_components(samples)
    count = max(components) + 1
    if folds < 2 or count < folds:
        raise FacetrustError(f"cannot make {folds} identity-disjoint folds from {count} identity group(s)")
    sizes = {c: components.count(c) for c in range(count)}
    fold_of: dict[int, int] = {}
    load = [0] * folds
    for component in sorted(sizes, key=lambda c: (-sizes[c], c)):
        target = min(range(folds), key=lambda f: (load[f], f))
        fold_of[component] = target
        load[target] += sizes[component]
    return [fold_of[c] for c in components]
