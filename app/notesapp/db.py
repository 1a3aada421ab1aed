"""The app's database: one SQLAlchemy engine per app, one session per request.

SQLite in the state directory by default (one host); any SQLAlchemy URL in DATABASE_URL
(FLASK_DATABASE_URL), such as postgresql+psycopg://..., when several app hosts share
the data. Only the migrations make and change the schema (`flask --app notesapp db
upgrade`), never a request.

A database server that restarts (a minor upgrade from Debian, say) drops its connections
and refuses new ones for a second or two. A request that meets that runs again, for up to
DATABASE_WAIT_SECONDS, rather than failing (run_waiting); past that it gets a 503 with
Retry-After (errors.py), never a 500. A request whose COMMIT was on its way when the
connection went is not run again blindly (it could store a note twice): on PostgreSQL
commit() asks the server, once it answers, whether that transaction committed.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask, current_app, g, has_app_context
from flask.cli import AppGroup
from sqlalchemy import Engine, create_engine, event, false, func, select, text, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from . import migrate
from .models import Note

DB_FILENAME = "notes.sqlite3"
# Several gunicorn workers share a SQLite file; waiting briefly for a lock beats failing.
SQLITE_BUSY_TIMEOUT_SECONDS = 5
# How long a request waits for a database server that does not answer, unless
# DATABASE_WAIT_SECONDS says; and how often it tries again meanwhile.
SERVER_WAIT_SECONDS = 3
RETRY_INTERVAL_SECONDS = 0.25

T = TypeVar("T")


def database_url(app: Flask) -> str:
    configured = app.config["DATABASE_URL"]
    if configured:
        return configured
    path = Path(app.config["STATE_DIR"]) / DB_FILENAME
    return f"sqlite:///{path}?timeout={SQLITE_BUSY_TIMEOUT_SECONDS}"


def _write_ahead_log(dbapi_connection, _record) -> None:
    # WAL lets one worker read while another writes. The mode is kept in the file, so
    # after the first connection this is a cheap no-op.
    dbapi_connection.execute("PRAGMA journal_mode = WAL")


def _note_commit(_connection) -> None:
    # From here on the data may have changed: running the request again could change it
    # twice (a POST stored twice), so run_waiting does not.
    if has_app_context():
        g.db_commit_sent = True


def make_engine(url: str) -> Engine:
    # pre_ping: a connection the database server closed (a restart) is replaced, not failed.
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _write_ahead_log)
    event.listen(engine, "commit", _note_commit)
    return engine


def _wait_seconds() -> float:
    configured = current_app.config["DATABASE_WAIT_SECONDS"]
    if configured is not None:
        return float(configured)
    # SQLite is a file: no server comes back, and its locks have their own timeout.
    return 0 if engine().dialect.name == "sqlite" else SERVER_WAIT_SECONDS


def run_waiting(work: Callable[[], T]) -> T:
    """WORK(), run again while it cannot reach the database (OperationalError: the server
    restarts, or dropped the connection), for up to DATABASE_WAIT_SECONDS; then the error
    stands. Never once a COMMIT was sent, as that may have changed the data (unless
    commit() learnt that it did not). Each try starts from a new session: the failed
    one's connection is gone."""
    deadline = g.db_deadline = time.monotonic() + _wait_seconds()
    while True:
        try:
            return work()
        except OperationalError:
            if g.get("db_commit_sent") or time.monotonic() + RETRY_INTERVAL_SECONDS > deadline:
                raise
            close_session()
            time.sleep(RETRY_INTERVAL_SECONDS)


def engine() -> Engine:
    return current_app.extensions["notesapp.db"]


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def commit() -> None:
    """COMMIT the request's session. If the connection is lost while the COMMIT is on its
    way (the server restarting), whether it arrived is unknown: on PostgreSQL this asks
    the server, once it answers again within the request's wait, what became of the
    transaction (pg_xact_status). Committed: the request goes on as if nothing happened,
    with the objects as they were sent. Aborted: the error stands and the request runs
    again (run_waiting), as nothing was changed. Otherwise, and on SQLite, the error
    stands: a 503, the request not run again."""
    session = get_session()
    transaction = None
    if engine().dialect.name == "postgresql":
        # Gives the transaction its id now if its writes have not yet (one round trip).
        transaction = session.scalar(text("SELECT pg_current_xact_id()::text"))
    try:
        session.commit()
    except OperationalError:
        if transaction is None:
            raise
        # Detached, the objects keep what they held: the response is made from them.
        session.expunge_all()
        close_session()
        outcome = _transaction_outcome(transaction)
        if outcome == "committed":
            return
        if outcome == "aborted":
            g.db_commit_sent = False
        raise


def _transaction_outcome(transaction: str) -> str | None:
    """'committed' or 'aborted', as the server tells once it answers, or None if it does
    not before the request's deadline (run_waiting) or no longer knows the transaction."""
    deadline = g.get("db_deadline", time.monotonic())
    while True:
        try:
            with engine().connect() as connection:
                outcome = connection.scalar(
                    text("SELECT pg_xact_status(CAST(:transaction AS xid8))"),
                    {"transaction": transaction},
                )
            # "in progress": the backend that holds it has not yet seen its client go.
            if outcome != "in progress":
                return outcome
        except OperationalError:
            pass
        if time.monotonic() + RETRY_INTERVAL_SECONDS > deadline:
            return None
        time.sleep(RETRY_INTERVAL_SECONDS)


def check_storage() -> str | None:
    """Return None if notes can be read and written, else a short reason why not."""
    if engine().dialect.name == "sqlite":
        state_dir = Path(current_app.config["STATE_DIR"])
        # Checked here rather than created: the deploy role owns the directory.
        if not state_dir.exists():
            return "state directory does not exist"
        if not state_dir.is_dir():
            return "state directory is not a directory"
    try:
        return run_waiting(_check_database)
    except SQLAlchemyError as e:
        return f"database unusable: {e.__class__.__name__}: {getattr(e, 'orig', e)}"


def _check_database() -> str | None:
    with engine().connect() as connection:
        revision = migrate.current(connection)
        if migrate.is_behind(revision):
            return (
                f"database schema is at revision {revision or 'none'}, this release needs "
                f"{migrate.head()}: run flask --app notesapp db upgrade"
            )
        connection.execute(select(func.count()).select_from(Note)).scalar_one()
        # A write that changes no row, rolled back: it fails on a read-only database
        # or a read-only transaction (a standby), where reads still work.
        connection.execute(update(Note).where(false()).values(title=Note.title))
        connection.rollback()
    return None


# An AppGroup runs each command inside the app's context, with its configuration.
db_cli = AppGroup("db", help="The database's schema.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply the migrations shipped with this release (up to REVISION, default head)."""
    if engine().dialect.name == "sqlite":
        # An explicit admin step may create the state directory (handy in development).
        Path(current_app.config["STATE_DIR"]).mkdir(parents=True, exist_ok=True)
    with engine().connect() as connection:
        before = migrate.current(connection)
    if migrate.is_ahead(before):
        click.echo(f"The database is at revision {before}, made by a newer release: nothing to do.")
        return
    migrate.upgrade(engine(), revision)
    with engine().connect() as connection:
        click.echo(f"The database is at revision {migrate.current(connection)}.")


@db_cli.command("current")
def current_command() -> None:
    """Print the revision the database is at."""
    with engine().connect() as connection:
        click.echo(migrate.current(connection) or "none")


def init_app(app: Flask) -> None:
    app.extensions["notesapp.db"] = make_engine(database_url(app))
    app.teardown_appcontext(close_session)
    app.cli.add_command(db_cli)
