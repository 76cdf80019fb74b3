"""One loaded bundled model for every service test; each test gets its own empty store."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from facetrust.detection import Scanner
from facetrust.service import ServiceSettings, create_app
from facetrust.store import ResultStore


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    return Scanner(frames=4)


@pytest.fixture
def store(tmp_path) -> ResultStore:
    store = ResultStore(f"sqlite:///{tmp_path / 'scans.db'}")
    yield store
    store.close()


def client_for(scanner: Scanner, store: ResultStore, **settings: object) -> TestClient:
    return TestClient(create_app(ServiceSettings(**settings), scanner=scanner, store=store))


@pytest.fixture
def client(scanner, store) -> TestClient:
    with client_for(scanner, store) as test_client:
        yield test_client
