"""Notes web app; gunicorn serves it through the factory ``notesapp:create_app()``."""

import os
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api, db, errors, health, pages

# from_prefixed_env() parses values as JSON, which would turn FLASK_RELEASE=1.10 into the float
# 1.1 or a numeric secret into an int; these keys always take the environment text verbatim.
_VERBATIM_ENV_KEYS = ("SECRET_KEY", "STATE_DIR", "RELEASE", "DATABASE_URL")


def _installed_release() -> str:
    try:
        return metadata.version("notesapp")
    except metadata.PackageNotFoundError:
        return "unknown"


class NotesApp(Flask):
    """Flask, with each request run again while the database restarts (db.run_waiting)."""

    def dispatch_request(self) -> Any:
        return db.run_waiting(super().dispatch_request)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = NotesApp(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        STATE_DIR=app.instance_path,
        # "" means SQLite in STATE_DIR; see db.py.
        DATABASE_URL="",
        RELEASE=_installed_release(),
        NOTE_TITLE_MAX=200,
        NOTE_BODY_MAX=10_000,
        # Notes per page of GET /api/notes: a list never grows with the table.
        NOTES_PAGE_SIZE=100,
        MAX_CONTENT_LENGTH=1024 * 1024,
        # Seconds a request waits for a database that does not answer (a restart) before it
        # gets 503; None: db.SERVER_WAIT_SECONDS for a database server, 0 for SQLite.
        DATABASE_WAIT_SECONDS=None,
    )
    app.config.from_prefixed_env()
    for key in _VERBATIM_ENV_KEYS:
        if f"FLASK_{key}" in os.environ:
            app.config[key] = os.environ[f"FLASK_{key}"]
    if test_config is not None:
        app.config.from_mapping(test_config)

    # nginx is the only hop in front of gunicorn; trusting more would let clients spoof addresses.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    return app
