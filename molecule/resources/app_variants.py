"""Copies of the reference app with another version, or broken, for release tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def app_variant(directory: Path, version: str, *, broken: bool = False) -> Path:
    """A copy of app/ that builds as VERSION; a broken one fails at import time."""
    target = directory / f"app-{version}{'-broken' if broken else ''}"
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
