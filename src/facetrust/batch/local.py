"""Scanning many inputs: reading, decoding and face finding run on worker threads while the model
classifies full batches. At most `batch_size + 2 * workers` inputs are in flight, so memory stays
flat for any folder size; outcomes come back in input order."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from facetrust.detection.scanner import Scanner
from facetrust.errors import MediaError, ProcessingError
from facetrust.faces.stage import FacesResult, find_faces_or_error, load_input

if TYPE_CHECKING:  # the store (SQLAlchemy, Alembic) loads only when a scan keeps its results
    from facetrust.detection.verdict import ScanResult
    from facetrust.store import ResultStore, StoredScan

Outcome: TypeAlias = "ScanResult | StoredScan | MediaError"


def scan_many(scanner: Scanner, paths: Iterable[Path], *, workers: int = 2, batch_size: int = 32,
              store: ResultStore | None = None) -> Iterator[Outcome]:
    """Scan every path. With a store, inputs it already holds for this model come back as `StoredScan`
    without being decoded, and new results are stored before they are yielded, so an interrupted run
    keeps everything it finished. Errors come back as `MediaError` values; the batch goes on."""
    scanner.finder.find(np.zeros((64, 64, 3), np.uint8))  # detectors load weights lazily: do it before the threads
    limit = batch_size + 2 * workers
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="facetrust-faces") as pool:
        pending: deque[Future] = deque()
        remaining = iter(paths)
        ready: list[FacesResult | StoredScan | MediaError] = []

        def refill() -> None:
            while len(pending) < limit and (path := next(remaining, None)) is not None:
                pending.append(pool.submit(_prepare, scanner, path, store))

        refill()
        while pending:
            ready.append(pending.popleft().result())
            refill()
            crops = sum(r.face_count for r in ready if isinstance(r, FacesResult))
            if crops >= batch_size or not pending:
                yield from _finish(scanner, ready, store)
                ready = []


def _prepare(scanner: Scanner, path: Path, store: ResultStore | None) -> FacesResult | StoredScan | MediaError:
    """Worker side: read once, look the bytes up in the store, else decode and find the faces."""
    try:
        media = load_input(path, limits=scanner.limits)
        stored = store.find(media.sha256, scanner.model_info) if store else None
        if stored:  # the same bytes under this file's own name
            stored = store.submit(stored, media.name)
    except MediaError as exc:
        return exc
    except Exception as exc:  # a store or filesystem failure on one input must not stop the batch
        return ProcessingError(str(path), f"unexpected {type(exc).__name__}: {exc}")
    return stored or find_faces_or_error(media, scanner.finder, frames=scanner.frames, limits=scanner.limits,
                                        fps=scanner.fps, provenance=scanner.provenance)


def _finish(scanner: Scanner, ready: list[FacesResult | StoredScan | MediaError],
            store: ResultStore | None) -> Iterator[Outcome]:
    """Classify the ready inputs' faces in one batch, store the new results, and yield all in order."""
    judged = iter(scanner.judge([r for r in ready if isinstance(r, FacesResult)]))
    for item in ready:
        if not isinstance(item, FacesResult):
            yield item
            continue
        result = next(judged)
        yield store.add(result) if store else result
