"""The results store: every scan kept in a SQL database (SQLite file or PostgreSQL) for later lookup."""

from facetrust.store.results import ResultStore, StoredScan, decision_key

__all__ = ["ResultStore", "StoredScan", "decision_key"]
