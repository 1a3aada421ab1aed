"""A request that cannot reach the database (its server restarts) runs again for up to
DATABASE_WAIT_SECONDS, never once it sent a COMMIT, and ends in a 503 with Retry-After."""

import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from notesapp import db
from notesapp.models import Note


def lost_connection() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


@pytest.fixture
def flaky(make_app, tmp_path):
    """flaky(failures, path="/api/flaky", commit=False, **config): an app with a route at
    PATH that fails FAILURES times to reach the database (after storing a note, with
    COMMIT), then answers; returns the app and the list of the route's calls."""

    def make(failures, path="/api/flaky", commit=False, **config):
        app = make_app(tmp_path, **config)
        app.logger.disabled = True
        calls = []

        def route():
            calls.append(time.monotonic())
            if commit:
                session = db.get_session()
                session.add(Note(title="once", body="", created_at="2026-01-01T00:00:00+00:00"))
                db.commit()
            if len(calls) <= failures:
                raise lost_connection()
            return {"calls": len(calls)}

        app.add_url_rule(path, "flaky", route, methods=["GET", "POST"])
        return app, calls

    return make


def stored(app) -> int:
    with app.app_context():
        return db.get_session().scalar(select(func.count()).select_from(Note))


def test_a_request_runs_again_until_the_database_answers(flaky):
    app, calls = flaky(2, DATABASE_WAIT_SECONDS=5)
    response = app.test_client().get("/api/flaky")
    assert response.status_code == 200
    assert response.get_json() == {"calls": 3}
    assert calls[2] - calls[0] >= 2 * db.RETRY_INTERVAL_SECONDS


def test_past_the_wait_the_api_answers_503_with_retry_after(flaky):
    app, calls = flaky(100, DATABASE_WAIT_SECONDS=1)
    response = app.test_client().get("/api/flaky")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "database is not answering" in response.get_json()["error"]
    # Tried for the second it may wait, and not much longer.
    assert 1 - 2 * db.RETRY_INTERVAL_SECONDS <= calls[-1] - calls[0] <= 1
    assert len(calls) >= 3


def test_a_page_gets_an_html_503_with_retry_after(flaky):
    app, _ = flaky(100, path="/flaky", DATABASE_WAIT_SECONDS=0)
    response = app.test_client().get("/flaky")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "text/html"


def test_a_request_that_sent_a_commit_never_runs_again_on_sqlite(flaky):
    # PostgreSQL can say whether a lost COMMIT arrived (the fleet scenario proves it);
    # SQLite cannot, so the request is answered 503 rather than run a second time.
    app, calls = flaky(1, commit=True, DATABASE_WAIT_SECONDS=5)
    response = app.test_client().post("/api/flaky")
    assert response.status_code == 503
    assert len(calls) == 1
    assert stored(app) == 1


def test_sqlite_does_not_wait_by_default(flaky):
    # A file: no server to come back; its locks wait SQLITE_BUSY_TIMEOUT_SECONDS themselves.
    app, calls = flaky(1)
    assert app.test_client().get("/api/flaky").status_code == 503
    assert len(calls) == 1
