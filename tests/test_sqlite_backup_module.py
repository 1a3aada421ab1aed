"""The online SQLite backup the flaskapp role takes before a migration."""

import sqlite3
import threading

from library import role_module

sqlite_backup = role_module("flaskapp", "flaskapp_sqlite_backup")


def make_database(path, rows=3):
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT)")
        conn.executemany("INSERT INTO notes (title) VALUES (?)", [(f"n{i}",) for i in range(rows)])
    conn.close()


def count(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM notes").fetchone()[0]
    finally:
        conn.close()


def test_databases_are_found_by_header_not_by_name(tmp_path):
    make_database(tmp_path / "notes.sqlite3")
    make_database(tmp_path / "other.db")
    (tmp_path / "notes.sqlite3.txt").write_text("not a database")
    (tmp_path / "sub").mkdir()
    make_database(tmp_path / "sub" / "nested.sqlite3")
    found = [path.rsplit("/", 1)[1] for path in sqlite_backup.databases(tmp_path)]
    assert found == ["notes.sqlite3", "other.db"]


def test_a_copy_has_every_row_even_while_the_app_writes(tmp_path):
    database = tmp_path / "notes.sqlite3"
    make_database(database, rows=500)
    writing = threading.Event()

    def write():
        conn = sqlite3.connect(database, timeout=5)
        writing.set()
        for i in range(200):
            conn.execute("INSERT INTO notes (title) VALUES (?)", (f"w{i}",))
            conn.commit()
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    writing.wait()
    dest = tmp_path / "backups"
    dest.mkdir()
    copy = sqlite_backup.backup(str(database), str(dest), "2.0.0-abc")
    writer.join()
    assert 500 <= count(copy) <= 700
    assert copy.endswith("-2.0.0-abc.sqlite3")
    assert (dest / copy.rsplit("/", 1)[1]).stat().st_mode & 0o777 == 0o600


def test_prune_keeps_the_newest_copies_of_each_database(tmp_path):
    database, other = tmp_path / "notes.sqlite3", tmp_path / "other.sqlite3"
    make_database(database)
    make_database(other)
    dest = tmp_path / "backups"
    dest.mkdir()
    made = [
        sqlite_backup.backup(str(database), str(dest), f"r{i}", now=1_800_000_000 + i)
        for i in range(4)
    ]
    kept_other = sqlite_backup.backup(str(other), str(dest), "r0", now=1_700_000_000)
    assert sqlite_backup.prune(str(dest), keep=2) == sorted(made[:2])
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        path.rsplit("/", 1)[1] for path in [*made[2:], kept_other]
    )
