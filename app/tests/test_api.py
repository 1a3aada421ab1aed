"""The notes JSON API: happy paths, 404s and input validation."""

import pytest


def create(client, **note):
    return client.post("/api/notes", json=note)


def test_create_returns_note_and_location(client):
    response = create(client, title="  Shopping  ", body="milk\neggs")
    assert response.status_code == 201
    note = response.get_json()
    assert set(note) == {"id", "title", "body", "created_at", "updated_at"}
    assert note["updated_at"] is None
    assert note["title"] == "Shopping"
    assert note["body"] == "milk\neggs"
    assert response.headers["Location"] == f"http://localhost/api/notes/{note['id']}"


def test_body_is_optional(client):
    assert create(client, title="No body").get_json()["body"] == ""


def test_get_note(client):
    note = create(client, title="One", body="two").get_json()
    response = client.get(f"/api/notes/{note['id']}")
    assert response.status_code == 200
    assert response.get_json() == note


def test_list_newest_first(client):
    assert client.get("/api/notes").get_json() == {"notes": [], "next": None}
    for title in ("first", "second", "third"):
        create(client, title=title)
    titles = [note["title"] for note in client.get("/api/notes").get_json()["notes"]]
    assert titles == ["third", "second", "first"]


def test_list_is_paged(client):
    for n in range(5):
        create(client, title=f"note {n}")
    first = client.get("/api/notes?limit=2").get_json()
    assert [note["title"] for note in first["notes"]] == ["note 4", "note 3"]
    second = client.get("/api/notes" + first["next"]).get_json()
    assert [note["title"] for note in second["notes"]] == ["note 2", "note 1"]
    last = client.get("/api/notes" + second["next"]).get_json()
    assert ([note["title"] for note in last["notes"]], last["next"]) == (["note 0"], None)


def test_list_page_size_is_bounded_by_default(make_app, tmp_path):
    client = make_app(tmp_path, NOTES_PAGE_SIZE=3).test_client()
    for n in range(4):
        create(client, title=f"note {n}")
    page = client.get("/api/notes").get_json()
    assert len(page["notes"]) == 3
    assert page["next"] == f"?limit=3&before={page['notes'][-1]['id']}"


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("limit=0", "limit", "from 1 to 500"),
        ("limit=501", "limit", "from 1 to 500"),
        ("limit=ten", "limit", "whole number"),
        ("before=0", "before", "from 1 to"),
    ],
)
def test_list_rejects_bad_paging(client, query, field, words):
    response = client.get(f"/api/notes?{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert words in response.get_json()["error"]


def test_notes_persist_across_apps(app, make_app, tmp_path):
    create(app.test_client(), title="kept")
    again = make_app(tmp_path).test_client()
    assert [n["title"] for n in again.get("/api/notes").get_json()["notes"]] == ["kept"]


def test_edit_changes_only_what_is_given(client):
    note = create(client, title="Before", body="body").get_json()
    response = client.patch(f"/api/notes/{note['id']}", json={"title": " After "})
    assert response.status_code == 200
    edited = response.get_json()
    assert (edited["title"], edited["body"]) == ("After", "body")
    assert edited["updated_at"] is not None
    assert client.get(f"/api/notes/{note['id']}").get_json() == edited


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({}, None, "nothing to change"),
        ({"title": ""}, "title", "empty"),
        ({"body": 3}, "body", "string"),
    ],
)
def test_invalid_edit_changes_nothing(client, payload, field, words):
    note = create(client, title="Kept").get_json()
    response = client.patch(f"/api/notes/{note['id']}", json=payload)
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert words in response.get_json()["error"]
    assert client.get(f"/api/notes/{note['id']}").get_json() == note


def test_delete_removes_the_note_and_its_id_is_not_reused(client):
    first = create(client, title="gone").get_json()
    assert client.delete(f"/api/notes/{first['id']}").status_code == 204
    assert client.get(f"/api/notes/{first['id']}").status_code == 404
    assert client.delete(f"/api/notes/{first['id']}").status_code == 404
    assert create(client, title="next").get_json()["id"] > first["id"]


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_edit_or_delete_of_a_missing_note_is_json_404(client, method):
    response = getattr(client, method)("/api/notes/999", json={"title": "x"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "note 999 not found"}


def test_missing_note_is_json_404(client):
    response = client.get("/api/notes/999")
    assert response.status_code == 404
    assert response.get_json() == {"error": "note 999 not found"}


# 2**31 is one past PostgreSQL's integer column: the route refuses it before any query.
@pytest.mark.parametrize("note_id", [2**31, 2**64])
def test_huge_id_is_json_404(client, note_id):
    response = client.get(f"/api/notes/{note_id}")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_unknown_api_url_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_wrong_method_is_json_405(client):
    response = client.put("/api/notes")
    assert response.status_code == 405
    assert "error" in response.get_json()
    assert "POST" in response.headers["Allow"]


def test_oversized_request_is_json_413(client):
    response = client.post(
        "/api/notes", data=b"x" * (1024 * 1024 + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert "error" in response.get_json()


def test_unexpected_error_is_json_500(app, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr("notesapp.api.get_session", lambda: 1 / 0)
    app.logger.disabled = True
    response = app.test_client().get("/api/notes")
    assert response.status_code == 500
    assert "error" in response.get_json()


TITLE_MAX = 200
BODY_MAX = 10_000


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        pytest.param({"data": "title=x"}, None, "JSON", id="form-encoded"),
        pytest.param(
            {"data": "{not json", "content_type": "application/json"},
            None,
            "valid JSON",
            id="malformed-json",
        ),
        pytest.param({"json": ["a", "list"]}, None, "object", id="array-body"),
        pytest.param({"json": "text"}, None, "object", id="string-body"),
        pytest.param(
            {"data": "null", "content_type": "application/json"}, None, "object", id="null-body"
        ),
        pytest.param({"json": {}}, "title", "required", id="title-missing"),
        pytest.param({"json": {"body": "b"}}, "title", "required", id="only-body"),
        pytest.param({"json": {"title": 42}}, "title", "string", id="title-number"),
        pytest.param({"json": {"title": None}}, "title", "string", id="title-null"),
        pytest.param({"json": {"title": ["x"]}}, "title", "string", id="title-array"),
        pytest.param({"json": {"title": ""}}, "title", "empty", id="title-empty"),
        pytest.param({"json": {"title": " \t\n"}}, "title", "empty", id="title-blank"),
        pytest.param(
            {"json": {"title": "x" * (TITLE_MAX + 1)}},
            "title",
            str(TITLE_MAX),
            id="title-too-long",
        ),
        pytest.param({"json": {"title": "t", "body": 1}}, "body", "string", id="body-number"),
        pytest.param({"json": {"title": "t", "body": None}}, "body", "string", id="body-null"),
        pytest.param(
            {"json": {"title": "t", "body": "x" * (BODY_MAX + 1)}},
            "body",
            str(BODY_MAX),
            id="body-too-long",
        ),
    ],
)
def test_invalid_input(client, kwargs, field, words):
    response = client.post("/api/notes", **kwargs)
    assert response.status_code == 400
    error = response.get_json()
    assert error["field"] == field
    assert words in error["error"]
    if field is not None:
        assert field in error["error"]
    assert client.get("/api/notes").get_json()["notes"] == []


def test_limits_are_configurable(app):
    app.config["NOTE_TITLE_MAX"] = 3
    client = app.test_client()
    assert create(client, title="abc").status_code == 201
    assert create(client, title="abcd").get_json()["field"] == "title"
