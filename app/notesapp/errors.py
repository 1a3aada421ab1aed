"""JSON error responses for the machine-facing URLs (/api/..., /healthz)."""

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException


def _wants_json() -> bool:
    # Routing errors (404, 405) happen before a blueprint is chosen, so decide by path.
    path = request.path
    return path in ("/api", "/healthz") or path.startswith("/api/")


def _json_error(e: HTTPException) -> Response | HTTPException:
    if not _wants_json():
        return e
    # Start from the exception's own response to keep headers such as Allow on a 405.
    response = e.get_response()
    response.data = json.dumps({"error": e.description or e.name})
    response.content_type = "application/json"
    return response


def init_app(app: Flask) -> None:
    # InternalServerError is an HTTPException, so unhandled exceptions end up here too.
    app.register_error_handler(HTTPException, _json_error)
