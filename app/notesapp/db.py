"""SQLite storage for notes: one connection per request, schema created when missing."""

import sqlite3
from pathlib import Path

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext

DB_FILENAME = "notes.sqlite3"
# Several gunicorn workers share the file; waiting briefly for a lock beats failing the request.
BUSY_TIMEOUT_SECONDS = 5.0

# IF NOT EXISTS makes it safe for every worker to run this at once on a fresh state directory.
SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
)
"""


def database_path() -> Path:
    return Path(current_app.config["STATE_DIR"]) / DB_FILENAME


def connect(path: Path) -> sqlite3.Connection:
    """Open the database at path in autocommit mode, ready for use."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        # WAL lets one worker read while another writes. The mode is stored in the file, so
        # after the first connection this is a cheap no-op.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(SCHEMA)
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = connect(database_path())
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def check_storage() -> str | None:
    """Return None if notes can be read and written, else a short reason why not."""
    state_dir = Path(current_app.config["STATE_DIR"])
    # Checked here rather than created: the deploy role owns the directory and its permissions.
    if not state_dir.exists():
        return "state directory does not exist"
    if not state_dir.is_dir():
        return "state directory is not a directory"
    try:
        conn = connect(state_dir / DB_FILENAME)
    except sqlite3.Error as e:
        return f"cannot open database: {e}"
    try:
        conn.execute("SELECT count(*) FROM notes").fetchone()
        # A write that matches no rows, rolled back: proves the file is writable (BEGIN alone
        # succeeds on a read-only database) without changing any data.
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM notes WHERE 0")
        conn.execute("ROLLBACK")
    except sqlite3.Error as e:
        return f"database query failed: {e}"
    finally:
        conn.close()
    return None


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the state directory and the notes table if they are missing."""
    path = database_path()
    # Unlike the web app, this explicit admin step may create the directory (handy in development).
    path.parent.mkdir(parents=True, exist_ok=True)
    connect(path).close()
    click.echo(f"Initialized the database at {path}.")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
