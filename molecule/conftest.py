"""Fixtures shared by every scenario's testinfra tests (pytest finds this file from
each scenario's tests/ directory). The helpers in resources/ become importable."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "resources"))


@pytest.fixture
def container(host) -> str:
    """Name of the Docker container behind this testinfra host: its inventory name.

    Not the `hostname` inside it: systemd rewrites names it considers invalid (an
    underscore in a scenario's name), so the two can differ.
    """
    return host.backend.get_hostname()


@pytest.fixture
def app_name() -> str:
    """The app's name in this scenario (flaskapp_name, or the role's default)."""
    from playbook_run import app_name

    return app_name()
