"""The HTTP door's fixtures are the service tests' own: one loaded model, a fresh store per test."""

from tests.service.conftest import client, scanner, store  # noqa: F401
