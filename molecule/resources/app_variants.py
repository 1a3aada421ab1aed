"""Copies of the reference app for release tests: another version, broken at import, or
carrying one more migration (one that works, or one that fails halfway)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
# The reference app's own version: release A of every release test.
APP_VERSION = tomllib.loads((PROJECT / "app" / "pyproject.toml").read_text())["project"]["version"]

# A third migration on top of the reference app's: an added column (the kind of change
# the previous release keeps working with), or one that fails after its first step.
_MIGRATION = '''"""{message}

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notes", sa.Column("pinned", sa.Boolean(), nullable=True))
{failure}

def downgrade() -> None:
    op.drop_column("notes", "pinned")
'''
# Imports fine (so a migration runs), but gunicorn cannot create the app on that Python.
_BROKEN_ON = """

_create_app = create_app


def create_app(*args, **kwargs):
    import sys

    if sys.version_info[:2] == {version}:
        raise RuntimeError("this release is broken on Python %d.%d on purpose" % {version})
    return _create_app(*args, **kwargs)
"""
_FAILURE = '    raise RuntimeError("migration 0003 fails on purpose")\n'


def app_variant(
    directory: Path,
    version: str,
    *,
    broken: bool = False,
    broken_on: str = "",
    migration: str | None = None,
    renamed_logo: bool = False,
) -> Path:
    """A copy of app/ that builds as VERSION. broken: it fails at import time; broken_on
    ("3.13"): it fails to start on that Python only. migration="adds-column" or "fails":
    it carries a third migration of that kind. renamed_logo: its page links mark.svg, and
    logo.svg, which the previous release's page links, is gone."""
    target = directory / f"app-{version}"
    shutil.copytree(
        PROJECT / "app",
        target,
        ignore=shutil.ignore_patterns("tests", "__pycache__", "*.egg-info", ".pytest_cache"),
    )
    pyproject = target / "pyproject.toml"
    pyproject.write_text(
        re.sub(r'^version = ".*"$', f'version = "{version}"', pyproject.read_text(), flags=re.M)
    )
    if broken:
        package = target / "notesapp" / "__init__.py"
        package.write_text(
            package.read_text() + '\nraise RuntimeError("this release is broken on purpose")\n'
        )
    if broken_on:
        package = target / "notesapp" / "__init__.py"
        package.write_text(
            package.read_text() + _BROKEN_ON.format(version=tuple(map(int, broken_on.split("."))))
        )
    if renamed_logo:
        static = target / "notesapp" / "static"
        (static / "logo.svg").rename(static / "mark.svg")
        page = target / "notesapp" / "templates" / "index.html"
        page.write_text(page.read_text().replace("logo.svg", "mark.svg"))
    if migration is not None:
        failure = {"adds-column": "", "fails": _FAILURE}[migration]
        (target / "notesapp" / "migrations" / "versions" / "0003_add_notes_pinned.py").write_text(
            _MIGRATION.format(message=f"Add notes.pinned ({migration}).", failure=failure)
        )
    return target


def built_wheel(project: Path, directory: Path) -> Path:
    """Build PROJECT into a wheel, as a user who deploys a built artefact would."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(directory),
            str(project),
        ],
        check=True,
    )
    (wheel,) = directory.glob("*.whl")
    return wheel
