"""Scanning many inputs: on this machine's threads (`local`) or on a Ray cluster (`ray_engine`), resuming from a
results store. Above detection and the store, which it joins."""

from facetrust.batch.local import Outcome, scan_many

__all__ = ["Outcome", "scan_many"]
