"""A batch killed with SIGKILL part-way loses nothing finished and the rerun completes it (issue 25, acceptance 3).

The kill is the real thing: a `facetrust scan --db` process, no chance to clean up, stopped once the store
holds a few results.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from facetrust.store import ResultStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FILES = 24


def _distinct_faces(folder: Path) -> list[Path]:
    """The example faces re-encoded at several qualities: same faces, different bytes (so none is a repeat)."""
    sources = sorted(EXAMPLES.glob("*.jpg"))
    paths = []
    for k in range(FILES):
        path = folder / f"face_{k:02d}.jpg"
        Image.open(sources[k % len(sources)]).save(path, quality=60 + k)
        paths.append(path)
    return paths


def _scan(folder: Path, db: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "facetrust", "scan", str(folder), "--db", db, "--workers", "1",
                             "--batch-size", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_killed_batch_keeps_what_it_finished_and_the_rerun_completes_it(tmp_path):
    folder = tmp_path / "faces"
    folder.mkdir()
    paths = _distinct_faces(folder)
    db = f"sqlite:///{tmp_path / 'scans.db'}"
    store = ResultStore(db)
    process = _scan(folder, db)
    deadline = time.monotonic() + 300
    while store.count() < 4 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = store.count()
    assert 4 <= finished < FILES, "the kill has to land mid-batch for this test to mean anything"
    kept = {scan.record["input"]: scan.record for scan in store.list(limit=500)}
    assert all(record["verdict"] in {"real", "fake", "uncertain", "no_face"} for record in kept.values())

    assert _scan(folder, db).wait(timeout=600) == 0
    after = {scan.record["input"]: scan for scan in store.list(limit=500)}
    assert sorted(after) == sorted(str(p) for p in paths) and store.count() == FILES
    resumed = [name for name, scan in after.items() if name in kept]
    assert all(after[name].record["faces"] == kept[name]["faces"] for name in resumed)
    assert np.isfinite([scan.record["p_fake"] for scan in after.values()]).all()
    store.close()
