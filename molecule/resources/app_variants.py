"""Copies of the reference app for release tests: another version, broken at import, or
carrying one more migration (one that works, or one that fails halfway)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]

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
_FAILURE = '    raise RuntimeError("migration 0003 fails on purpose")\n'


def app_variant(
    directory: Path, version: str, *, broken: bool = False, migration: str | None = None
) -> Path:
    """A copy of app/ that builds as VERSION. broken: it fails at import time.
    migration="adds-column" or "fails": it carries a third migration of that kind."""
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
