"""Files that appear whole or not at all, so a run killed mid-write never leaves a truncated result
(a best epoch, a cache entry, a manifest) that a resumed run would then trust."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to write instead. When the block ends without error and the file
    was written, it replaces `path` in one step; otherwise it is removed and `path` is left as it was.

    The name is unique per process (several processes may fill one cache) and keeps `path`'s suffix,
    which writers such as `np.save` and `cv2.imwrite` read the format from.
    """
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial{path.suffix}")
    try:
        yield partial
        if partial.exists():
            os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
