"""wheelhouse_ratio: building a release's wheelhouse from scratch ÷ reusing one built from
the same inputs (what every deploy after the first does).

Runs the flaskapp role's flaskapp_wheelhouse module on this controller for the reference
app and Debian 13's Python, cold (empty cache) and warm (same inputs) side by side in each
run. Needs the package index (cold builds download wheels). Alone:

    .venv/bin/python bench/wheelhouse.py [--runs 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from stats import ratios, summary  # noqa: E402

# The role's own pins, so that a build here has the inputs a converge's build has.
_DEFAULTS = yaml.safe_load((ROOT / "roles/flaskapp/defaults/main.yml").read_text())
GUNICORN = _DEFAULTS["flaskapp_gunicorn_requirement"]
INSTALLER = _DEFAULTS["flaskapp_installer_requirement"]

# The targets' machine: the bench's containers run on this controller's architecture.
ARCHITECTURE = "x86_64"


def build(dest: Path, python_version: str = "3.13", source: Path = ROOT / "app") -> float:
    """Build (or find) the wheelhouse of SOURCE (the reference app unless told) in DEST with
    the role's own inputs; the seconds it took."""
    argv = [
        str(ROOT / ".venv/bin/ansible"),
        "localhost",
        "-M",
        str(ROOT / "roles/flaskapp/library"),
        "-m",
        "flaskapp_wheelhouse",
        "-a",
        f"source={source} dest={dest} python_version={python_version} "
        f"architecture={ARCHITECTURE} constraints={ROOT / 'app/requirements.lock'} "
        f"requirements={GUNICORN} installer={INSTALLER} static_dir=notesapp/static",
    ]
    start = time.perf_counter()
    proc = subprocess.run(argv, check=False, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"the wheelhouse of {source} failed to build: {proc.stdout[-2000:]}")
    return seconds


def measure(runs: int) -> dict:
    cold, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            cold.append(build(Path(tmp)))
            warm.append(build(Path(tmp)))
    return {
        "wheelhouse_cold_seconds": summary(cold),
        "wheelhouse_warm_seconds": summary(warm),
        "wheelhouse_ratio": summary(ratios(cold, warm)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    figures = measure(parser.parse_args().runs)
    for name, figure in figures.items():
        print(
            f"{name:28} median {figure['median']:7.2f}  "
            f"min {figure['min']:7.2f}  max {figure['max']:7.2f}"
        )


if __name__ == "__main__":
    main()
