"""JSON API for notes: create, list, fetch, edit and delete."""

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from .db import commit, get_session
from .models import Note

bp = Blueprint("api", __name__, url_prefix="/api")

# The id column is a 32-bit integer on PostgreSQL (SQLAlchemy's Integer): a larger id in a
# query would fail there with 500, so the routes answer 404 for it before any query.
_MAX_ID = 2**31 - 1
# A list answers with at most this many notes, however many there are (NOTES_PAGE_SIZE by default).
_MAX_PAGE = 500

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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _note_or_404(note_id: int) -> Note:
    note = get_session().get(Note, note_id)
    if note is None:
        abort(404, description=f"note {note_id} not found")
    return note


@bp.post("/notes")
def create_note() -> tuple[Response, int, dict[str, str]]:
    data = _request_object()
    config = current_app.config
    note = Note(
        title=_string_field(data, "title", config["NOTE_TITLE_MAX"], required=True),
        body=_string_field(data, "body", config["NOTE_BODY_MAX"], required=False),
        created_at=_now(),
    )
    session = get_session()
    session.add(note)
    commit()
    # _external so the proxied scheme and host (via ProxyFix) appear in the Location header.
    location = url_for("api.get_note", note_id=note.id, _external=True)
    return jsonify(note.as_dict()), 201, {"Location": location}


def _int_argument(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidNote(f"{name} must be a whole number, got {raw!r}", name) from None
    if not low <= value <= high:
        raise InvalidNote(f"{name} must be from {low} to {high}, got {value}", name)
    return value


@bp.get("/notes")
def list_notes() -> Response:
    """A page of notes, newest first: at most `limit`, with ids below `before` when given.
    `next` is the query for the following page, or null on the last one."""
    limit = _int_argument("limit", current_app.config["NOTES_PAGE_SIZE"], 1, _MAX_PAGE)
    before = _int_argument("before", 0, 1, _MAX_ID)
    # Ordering by id, not created_at, keeps notes made within the same second in order.
    query = select(Note).order_by(Note.id.desc()).limit(limit + 1)
    if before:
        query = query.where(Note.id < before)
    notes = list(get_session().scalars(query))
    more = len(notes) > limit
    notes = notes[:limit]
    following = f"?limit={limit}&before={notes[-1].id}" if more else None
    return jsonify(notes=[note.as_dict() for note in notes], next=following)


@bp.get(f"/notes/<int(max={_MAX_ID}):note_id>")
def get_note(note_id: int) -> Response:
    return jsonify(_note_or_404(note_id).as_dict())


@bp.patch(f"/notes/<int(max={_MAX_ID}):note_id>")
def edit_note(note_id: int) -> Response:
    data = _request_object()
    config = current_app.config
    if not {"title", "body"} & data.keys():
        raise InvalidNote("nothing to change: expected title or body")
    note = _note_or_404(note_id)
    if "title" in data:
        note.title = _string_field(data, "title", config["NOTE_TITLE_MAX"], required=True)
    if "body" in data:
        note.body = _string_field(data, "body", config["NOTE_BODY_MAX"], required=False)
    note.updated_at = _now()
    commit()
    return jsonify(note.as_dict())


@bp.delete(f"/notes/<int(max={_MAX_ID}):note_id>")
def delete_note(note_id: int) -> tuple[str, int]:
    session = get_session()
    session.delete(_note_or_404(note_id))
    commit()
    return "", 204
