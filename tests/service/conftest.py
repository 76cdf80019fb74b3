"""One loaded bundled model for every service test; each test gets its own empty store."""

from __future__ import annotations

from pathlib import Path

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
    # A loopback Host, as a browser on this machine sends (the server refuses names it was not bound to).
    return TestClient(create_app(ServiceSettings(**settings), scanner=scanner, store=store),
                      base_url="http://localhost")


@pytest.fixture
def client(scanner, store) -> TestClient:
    with client_for(scanner, store) as test_client:
        yield test_client


@pytest.fixture
def fake_face(shared_data) -> Path:
    return sorted((shared_data / "faces/k140/test/fake").glob("*.jpg"))[0]


@pytest.fixture
def real_face(shared_data) -> Path:
    return sorted((shared_data / "faces/k140/test/real").glob("*.jpg"))[0]
