"""Fixtures shared by this scenario's tests: the instance's name for HTTP requests."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "resources"))


@pytest.fixture
def container(host) -> str:
    """Name of the Docker container behind this testinfra host."""
    return host.check_output("hostname")
