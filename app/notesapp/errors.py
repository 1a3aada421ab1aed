"""JSON error responses for the machine-facing URLs (/api/..., /healthz), and a 503 for a
database that does not answer."""

from flask import Flask, Response, current_app, json, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

# What a client that got a 503 for an unreachable database is told to wait.
RETRY_AFTER_SECONDS = 5


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


def _database_unavailable(e: OperationalError) -> Response | HTTPException:
    # Unreachable for DATABASE_WAIT_SECONDS (db.run_waiting), or lost while committing
    # (the one moment a request is not run again: whether the change arrived is unknown).
    current_app.logger.warning("database unavailable: %s", getattr(e, "orig", e))
    unavailable = ServiceUnavailable(
        "The database is not answering; try again shortly.", retry_after=RETRY_AFTER_SECONDS
    )
    return _json_error(unavailable)


def init_app(app: Flask) -> None:
    # InternalServerError is an HTTPException, so unhandled exceptions end up here too.
    app.register_error_handler(HTTPException, _json_error)
    app.register_error_handler(OperationalError, _database_unavailable)
