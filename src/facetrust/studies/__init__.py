"""Reproducible studies: model comparisons with ablations (`compare`), hyperparameter grids (`tune`) and
k-fold cross-validation of training recipes (`crossval`)."""

from facetrust.studies.compare import RunSpec, compare, plan
from facetrust.studies.crossval import crossval
from facetrust.studies.tune import parse_grid, tune

__all__ = ["RunSpec", "compare", "crossval", "parse_grid", "plan", "tune"]
