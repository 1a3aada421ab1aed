"""The one HTML page: a form and a list of notes, filled in by static/app.js from the API."""

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html")
