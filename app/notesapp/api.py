"""JSON API for notes: create, list and fetch one."""

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from werkzeug.exceptions import BadRequest

from .db import get_db

bp = Blueprint("api", __name__, url_prefix="/api")

# Larger ids would overflow SQLite's INTEGER; the route answers 404 for them instead of 500.
_MAX_ID = 2**63 - 1
# The note's JSON keys are exactly these column names.
_COLUMNS = "id, title, body, created_at"

_JSON_TYPE_NAMES = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


class InvalidNote(Exception):
    """A request the client must fix; field names the offending input, or None for the body."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@bp.errorhandler(InvalidNote)
def _invalid_note(e: InvalidNote) -> tuple[Response, int]:
    return jsonify(error=e.message, field=e.field), 400


def _type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _request_object() -> dict[str, Any]:
    if not request.is_json:
        raise InvalidNote("request body must be JSON sent with Content-Type: application/json")
    try:
        data = request.get_json()
    except BadRequest:
        raise InvalidNote("request body is not valid JSON; expected a JSON object") from None
    if not isinstance(data, dict):
        raise InvalidNote(f"request body must be a JSON object, got {_type_name(data)}")
    return data


def _string_field(data: dict[str, Any], field: str, limit: int, *, required: bool) -> str:
    if field not in data:
        if required:
            raise InvalidNote(f"{field} is required: expected a non-empty string", field)
        return ""
    value = data[field]
    if not isinstance(value, str):
        raise InvalidNote(f"{field} must be a string, got {_type_name(value)}", field)
    if required:
        value = value.strip()
        if not value:
            raise InvalidNote(f"{field} must not be empty: expected a non-empty string", field)
    if len(value) > limit:
        raise InvalidNote(f"{field} must be at most {limit} characters, got {len(value)}", field)
    return value


@bp.post("/notes")
def create_note() -> tuple[Response, int, dict[str, str]]:
    data = _request_object()
    config = current_app.config
    title = _string_field(data, "title", config["NOTE_TITLE_MAX"], required=True)
    body = _string_field(data, "body", config["NOTE_BODY_MAX"], required=False)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    cursor = get_db().execute(
        "INSERT INTO notes (title, body, created_at) VALUES (?, ?, ?)",
        (title, body, created_at),
    )
    note = {"id": cursor.lastrowid, "title": title, "body": body, "created_at": created_at}
    # _external so the proxied scheme and host (via ProxyFix) appear in the Location header.
    location = url_for("api.get_note", note_id=cursor.lastrowid, _external=True)
    return jsonify(note), 201, {"Location": location}


@bp.get("/notes")
def list_notes() -> Response:
    # Ordering by id, not created_at, keeps notes made within the same second in order.
    rows = get_db().execute(f"SELECT {_COLUMNS} FROM notes ORDER BY id DESC")
    return jsonify(notes=[dict(row) for row in rows])


@bp.get(f"/notes/<int(max={_MAX_ID}):note_id>")
def get_note(note_id: int) -> Response:
    row = get_db().execute(f"SELECT {_COLUMNS} FROM notes WHERE id = ?", (note_id,)).fetchone()
    if row is None:
        abort(404, description=f"note {note_id} not found")
    return jsonify(dict(row))
