"""The app's PostgreSQL database seen from the tests: SQL run on its host, as the
administrator would run it (psql as postgres, over the local socket)."""

from __future__ import annotations


def sql(db_host, query: str, database: str = "notes") -> list[str]:
    """The rows QUERY returns, one string per row (columns joined by |)."""
    out = db_host.check_output("runuser -u postgres -- psql -X -d %s -tA -c %s", database, query)
    return [line for line in out.splitlines() if line]


def note_count(db_host, database: str = "notes") -> int:
    return int(sql(db_host, "SELECT count(*) FROM notes", database)[0])


def schema(db_host, database: str = "notes") -> tuple[str, list[str]]:
    """The migration revision and the notes table's columns: what a migration changes."""
    (revision,) = sql(db_host, "SELECT version_num FROM alembic_version", database)
    columns = sql(
        db_host,
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'notes' ORDER BY column_name",
        database,
    )
    return revision, columns


def notes_stored_once(db_host, load) -> None:
    """Each note whose POST answered 201 (load.created) is stored once, and no POST of the
    load (load.attempted) is stored twice: nothing sent twice, nothing lost."""
    rows = sql(
        db_host,
        f"SELECT title, count(*) FROM notes WHERE title LIKE '{load.prefix} %' GROUP BY title",
    )
    stored = dict(row.rsplit("|", 1) for row in rows)
    assert {title: n for title, n in stored.items() if n != "1"} == {}, "a note stored twice"
    assert set(load.created) <= set(stored), "a note answered 201 but is not stored"
    assert set(stored) <= set(load.attempted), "a note stored that the load never sent"
