"""The /healthz endpoint: 200 when storage works, 503 with a reason when it does not."""

import sqlite3
import threading
from pathlib import Path

import pytest

from notesapp import create_app, db


def health(state_dir, release="9.9.9"):
    app = create_app({"TESTING": True, "STATE_DIR": str(state_dir), "RELEASE": release})
    app.logger.disabled = True
    return app.test_client().get("/healthz")


def test_ok_reports_release(tmp_path):
    response = health(tmp_path)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "release": "9.9.9"}
    assert (tmp_path / "notes.sqlite3").is_file()


def test_ok_with_existing_notes(client, app):
    client.post("/api/notes", json={"title": "x"})
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "release": app.config["RELEASE"]}


def missing_dir(tmp):
    return tmp / "missing"


def regular_file(tmp):
    (tmp / "file").write_text("")
    return tmp / "file"


def database_is_a_directory(tmp):
    (tmp / db.DB_FILENAME).mkdir()
    return tmp


def database_is_garbage(tmp):
    (tmp / db.DB_FILENAME).write_bytes(b"not a database" * 1000)
    return tmp


@pytest.mark.parametrize(
    ("make_state", "words"),
    [
        (missing_dir, "does not exist"),
        (regular_file, "not a directory"),
        (database_is_a_directory, "cannot open database"),
        (database_is_garbage, "cannot open database"),
    ],
)
def test_unusable_storage_is_503(tmp_path, make_state, words):
    state_dir = make_state(tmp_path)
    response = health(state_dir)
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert body["release"] == "9.9.9"
    assert words in body["detail"]


def test_read_only_database_is_503(tmp_path, monkeypatch):
    # Tests run as root, where chmod cannot make a file unwritable; open it read-only instead.
    assert health(tmp_path).status_code == 200
    real_connect = sqlite3.connect

    def read_only_connect(path, **kwargs):
        return real_connect(f"file:{path}?mode=ro", uri=True, **kwargs)

    monkeypatch.setattr(db.sqlite3, "connect", read_only_connect)
    response = health(tmp_path)
    assert response.status_code == 503
    assert "readonly" in response.get_json()["detail"]


def test_does_not_create_state_dir(tmp_path):
    health(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_wrong_method_is_json_405(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "error" in response.get_json()


def test_concurrent_first_connections(tmp_path):
    # Mirrors several gunicorn workers opening a brand-new database at the same moment.
    barrier = threading.Barrier(8)
    errors = []

    def open_db():
        barrier.wait()
        try:
            db.connect(Path(tmp_path, db.DB_FILENAME)).close()
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=open_db) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert health(tmp_path).status_code == 200
