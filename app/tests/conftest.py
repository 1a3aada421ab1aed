"""Shared fixtures: an app whose state lives in a fresh temporary directory."""

import os

import pytest

from notesapp import create_app


@pytest.fixture(autouse=True)
def _clean_flask_env(monkeypatch):
    # FLASK_* variables in the developer's shell would otherwise leak into every app under test.
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "STATE_DIR": str(tmp_path)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
