"""Reproducible studies: model comparisons with ablations (`compare`) and hyperparameter grids (`tune`)."""

from facetrust.studies.compare import RunSpec, compare, plan
from facetrust.studies.tune import parse_grid, tune

__all__ = ["RunSpec", "compare", "parse_grid", "plan", "tune"]
