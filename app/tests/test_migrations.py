"""The schema's history: migrations build what the models expect, keep data, and adopt a
database made by notesapp 1.0, which created its table itself."""

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from notesapp import db, migrate
from notesapp.models import Base

# What notesapp 1.0 created at request time, before it had migrations.
SCHEMA_OF_1_0 = """
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
)
"""


def engine_of(app):
    return app.extensions["notesapp.db"]


def test_migrations_build_exactly_what_the_models_map(app):
    # A model changed without a migration (or the reverse) shows up here.
    with engine_of(app).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_head_is_the_newest_migration():
    assert migrate.head() == "0002"


def test_each_migration_keeps_the_rows_it_finds(make_app, tmp_path):
    app = make_app(tmp_path, revision="0001")
    with engine_of(app).begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO notes (title, body, created_at) VALUES ('old', 'kept', '2026-01-01')"
        )
    migrate.upgrade(engine_of(app))
    note = app.test_client().get("/api/notes").get_json()["notes"][0]
    assert (note["title"], note["body"], note["updated_at"]) == ("old", "kept", None)


def test_a_database_of_notesapp_1_0_is_adopted(make_app, tmp_path):
    with sqlite3.connect(tmp_path / db.DB_FILENAME) as conn:
        conn.execute(SCHEMA_OF_1_0)
        conn.execute("INSERT INTO notes (title, created_at) VALUES ('from 1.0', '2025-12-31')")
    conn.close()
    app = make_app(tmp_path)
    with engine_of(app).connect() as connection:
        assert migrate.current(connection) == "0002"
        assert "updated_at" in {c["name"] for c in inspect(connection).get_columns("notes")}
    titles = [n["title"] for n in app.test_client().get("/api/notes").get_json()["notes"]]
    assert titles == ["from 1.0"]


def test_upgrading_twice_changes_nothing(app):
    migrate.upgrade(engine_of(app))
    with engine_of(app).connect() as connection:
        assert migrate.current(connection) == "0002"
