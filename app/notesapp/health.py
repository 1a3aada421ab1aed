"""Health check for nginx, monitoring and the deploy role: is storage usable, which release."""

from flask import Blueprint, Response, current_app, jsonify

from .db import check_storage

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    release = current_app.config["RELEASE"]
    problem = check_storage()
    if problem is not None:
        current_app.logger.error(
            "health check failed: %s (STATE_DIR=%s)", problem, current_app.config["STATE_DIR"]
        )
        return jsonify(status="error", release=release, detail=problem), 503
    return jsonify(status="ok", release=release), 200
