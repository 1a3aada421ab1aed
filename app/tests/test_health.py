"""The /healthz endpoint: 200 when the database can be read and written at the schema this
release needs, 503 with a reason when not."""

import sqlite3
import threading

import pytest

from notesapp import db


def health(app):
    app.logger.disabled = True
    return app.test_client().get("/healthz")


@pytest.fixture
def app_at(make_app, tmp_path):
    """app_at(revision, state_dir=tmp_path, **config): an app whose database is at REVISION."""

    def make(revision="head", state_dir=None, **config):
        return make_app(state_dir or tmp_path, revision=revision, RELEASE="9.9.9", **config)

    return make


def test_ok_reports_release(app_at, tmp_path):
    response = health(app_at())
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "release": "9.9.9"}
    assert (tmp_path / db.DB_FILENAME).is_file()


def test_ok_with_existing_notes(client, app):
    client.post("/api/notes", json={"title": "x"})
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "release": app.config["RELEASE"]}


@pytest.mark.parametrize(("revision", "shown"), [(None, "none"), ("0001", "0001")])
def test_database_behind_this_release_is_503_naming_both_revisions(app_at, revision, shown):
    response = health(app_at(revision))
    assert response.status_code == 503
    detail = response.get_json()["detail"]
    assert f"revision {shown}, this release needs 0002" in detail
    assert "db upgrade" in detail


def test_database_migrated_by_a_newer_release_still_serves(app_at, tmp_path):
    app = app_at()
    with sqlite3.connect(tmp_path / db.DB_FILENAME) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    conn.close()
    assert health(app).status_code == 200


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
        (database_is_a_directory, "database unusable"),
        (database_is_garbage, "database unusable"),
    ],
)
def test_unusable_storage_is_503(app_at, tmp_path, make_state, words):
    response = health(app_at(revision=None, state_dir=make_state(tmp_path)))
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert body["release"] == "9.9.9"
    assert words in body["detail"]


def test_read_only_database_is_503(app_at, tmp_path):
    # Tests run as root, where chmod cannot make a file unwritable; open it read-only instead.
    assert health(app_at()).status_code == 200
    path = tmp_path / db.DB_FILENAME
    read_only = app_at(revision=None, DATABASE_URL=f"sqlite:///file:{path}?mode=ro&uri=true")
    response = health(read_only)
    assert response.status_code == 503
    assert "readonly" in response.get_json()["detail"]


def test_does_not_create_state_dir(app_at, tmp_path):
    health(app_at(revision=None, state_dir=tmp_path / "missing"))
    assert not (tmp_path / "missing").exists()


def test_wrong_method_is_json_405(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "error" in response.get_json()


def test_concurrent_checks_of_a_fresh_database(app_at):
    # Mirrors several gunicorn workers asking at the same moment, right after a deploy.
    app = app_at()
    barrier = threading.Barrier(8)
    statuses = []

    def check():
        barrier.wait()
        statuses.append(app.test_client().get("/healthz").status_code)

    threads = [threading.Thread(target=check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
