"""The HTTP door shares the service tests' loaded model."""

from tests.service.conftest import scanner  # noqa: F401
