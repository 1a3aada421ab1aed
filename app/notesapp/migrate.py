"""Schema migrations with Alembic, driven from code: the scripts ship inside the package
(notesapp/migrations), so an installed wheel can migrate its database with no files
beside it. `flask --app notesapp db upgrade` runs them."""

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine


def _config(connection: Connection | None = None) -> Config:
    config = Config()  # no alembic.ini: everything it needs is set here
    config.set_main_option("script_location", "notesapp:migrations")
    # env.py migrates over this connection, so the URL (and its password) never
    # passes through Alembic's configuration file syntax.
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to REVISION; on PostgreSQL all in one transaction."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


@cache
def _scripts() -> ScriptDirectory:
    # Read once per process: the health check asks on every call.
    return ScriptDirectory.from_config(_config())


@cache
def _known() -> frozenset[str]:
    return frozenset(script.revision for script in _scripts().walk_revisions())


def head() -> str:
    """The newest revision this release knows: what its code expects."""
    return _scripts().get_current_head()


def current(connection: Connection) -> str | None:
    """The revision the database is at; None before the first migration."""
    return MigrationContext.configure(connection).get_current_revision()


def is_ahead(revision: str | None) -> bool:
    """Whether a newer release migrated the database: its revision is unknown here."""
    return revision is not None and revision not in _known()


def is_behind(revision: str | None) -> bool:
    """Whether a database at REVISION lacks migrations this release needs.

    A revision this release does not know was made by a newer release; by the rule that
    migrations keep the previous release working, it serves this one too.
    """
    return revision is None or (not is_ahead(revision) and revision != head())
