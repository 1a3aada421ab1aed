"""Static files ship inside the package and the app serves them (nginx may serve them too)."""

from pathlib import Path

import pytest

import notesapp

STATIC_DIR = Path(notesapp.__file__).parent / "static"


@pytest.mark.parametrize(
    ("name", "mimetypes"),
    [
        ("style.css", ("text/css",)),
        ("app.js", ("text/javascript", "application/javascript")),
        ("logo.svg", ("image/svg+xml",)),
    ],
)
def test_static_file_exists_and_is_served(client, name, mimetypes):
    path = STATIC_DIR / name
    assert path.is_file()
    with client.get(f"/static/{name}") as response:
        assert response.status_code == 200
        assert response.mimetype in mimetypes
        assert response.data == path.read_bytes()


def test_app_static_folder_is_the_package_static_dir(app):
    assert Path(app.static_folder) == STATIC_DIR


def test_script_never_writes_html():
    # User text must reach the page through textContent only.
    source = (STATIC_DIR / "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in source
