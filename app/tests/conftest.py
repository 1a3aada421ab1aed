"""Shared fixtures: apps whose data lives in a fresh temporary directory, migrated."""

import os

import pytest

from notesapp import create_app, migrate


@pytest.fixture(autouse=True)
def _clean_flask_env(monkeypatch):
    # FLASK_* variables in the developer's shell would otherwise leak into every app under test.
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def make_app():
    """make_app(state_dir, revision="head", **config): an app, its database migrated to
    REVISION (None: not at all). Every engine is disposed at the end of the test."""
    apps = []

    def make(state_dir, revision="head", **config):
        app = create_app({"TESTING": True, "STATE_DIR": str(state_dir), **config})
        apps.append(app)
        if revision is not None:
            migrate.upgrade(app.extensions["notesapp.db"], revision)
        return app

    yield make
    for app in apps:
        app.extensions["notesapp.db"].dispose()


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
