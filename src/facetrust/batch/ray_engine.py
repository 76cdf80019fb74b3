"""The batch scan on a Ray cluster (Ray Data), for folders too big for one machine.

Each Ray worker builds its own `Scanner` from the same settings and runs the local batch pipeline
(`scan_many`) over blocks of paths, so a result is computed exactly as `facetrust scan` computes it
on one machine. The paths must be readable where the workers run (shared storage), and facetrust
must be installed there. Outcomes come back to the caller in input order; the caller stores them, so
the results store needs no network access from the workers.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from facetrust.batch.local import Outcome, scan_many
from facetrust.detection.scanner import ScanSettings
from facetrust.errors import MediaError, MissingComponentError
from facetrust.faces.stage import load_input

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when a scan keeps its records
    from facetrust.store import ResultStore, StoredScan


class _ScanBlock:
    """A Ray Data actor: loads the model once, then scans blocks of paths with the local pipeline."""

    def __init__(self, settings: ScanSettings, batch_size: int) -> None:
        self.scanner = settings.scanner()
        self.batch_size = batch_size

    def __call__(self, block: dict) -> dict:
        paths = [Path(p) for p in block["path"]]
        outcomes = scan_many(self.scanner, paths, workers=1, batch_size=self.batch_size)
        return {"outcome": [pickle.dumps(o) for o in outcomes]}


def scan_on_ray(settings: ScanSettings, paths: Iterable[Path], *, address: str | None = None,
                workers: int = 2, batch_size: int = 32, store: ResultStore | None = None,
                model_info: dict | None = None) -> Iterator[Outcome]:
    """Scan `paths` on `workers` Ray actors (one CPU each) of the cluster at `address` (None: a local
    Ray instance). With a store (and the caller's `model_info`), inputs it already holds are skipped and
    new results are stored as they arrive, so an interrupted run resumes."""
    if importlib.util.find_spec("ray") is None:
        raise MissingComponentError("--engine ray needs Ray: pip install 'ray[data]'")
    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    paths = list(paths)
    stored = {k: found for k, p in enumerate(paths) if (found := _stored(store, model_info, p))}
    todo = [str(p) for k, p in enumerate(paths) if k not in stored]
    return _in_order(len(paths), stored, _ray_outcomes(settings, todo, workers, batch_size), store)


def _in_order(count: int, stored: dict[int, StoredScan], fresh: Iterator[Outcome],
              store: ResultStore | None) -> Iterator[Outcome]:
    """Stored and freshly computed outcomes merged back into input order; fresh results are stored."""
    for k in range(count):
        if k in stored:
            yield stored[k]
            continue
        outcome = next(fresh)
        yield store.add(outcome) if store and not isinstance(outcome, Exception) else outcome


def _ray_outcomes(settings: ScanSettings, paths: list[str], workers: int, batch_size: int) -> Iterator[Outcome]:
    if not paths:
        return
    import ray

    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # outcomes in input order, as the local path gives them
    context.enable_progress_bars = False
    results = ray.data.from_items([{"path": p} for p in paths]).map_batches(
        _ScanBlock, fn_constructor_args=(settings, batch_size), batch_size=batch_size, num_cpus=1,
        compute=ray.data.ActorPoolStrategy(size=workers), batch_format="numpy")
    for row in results.iter_rows():
        yield pickle.loads(row["outcome"])


def _stored(store: ResultStore | None, model_info: dict | None, path: Path) -> StoredScan | None:
    """The stored result for this file's content, if any; unreadable files are left to the workers to report."""
    if store is None or model_info is None:
        return None
    try:
        media = load_input(path)
    except MediaError:
        return None
    found = store.find(media.sha256, model_info)
    return store.submit(found, media.name) if found else None
