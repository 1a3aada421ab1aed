"""Benchmark: building the wheelhouse from scratch vs. reusing one built from the same inputs.

    .venv/bin/python bench/wheelhouse_cache.py [--runs 3]

Runs the role's flaskapp_wheelhouse module on this controller for the reference app and
Debian 13's Python, alternating cold builds (empty cache) and warm ones (same inputs),
and prints the median of each and their ratio. Needs the package index (cold builds
download wheels). Figures from one run on one machine: compare the ratio, not seconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(dest: Path) -> float:
    argv = [
        str(Path(sys.executable).parent / "ansible"),
        "localhost",
        "-M",
        str(ROOT / "roles/flaskapp/library"),
        "-m",
        "flaskapp_wheelhouse",
        "-a",
        f"source={ROOT / 'app'} dest={dest} python_version=3.13 architecture=x86_64 "
        f"constraints={ROOT / 'app/requirements.lock'} requirements=gunicorn==27.0.1",
    ]
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            cold.append(build(Path(tmp)))
            warm.append(build(Path(tmp)))
    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    print(f"wheelhouse build, median of {args.runs}:")
    print(f"  cold (nothing cached)        {cold_s:6.2f} s")
    print(f"  warm (same inputs as before) {warm_s:6.2f} s")
    print(f"  cold / warm                  {cold_s / warm_s:6.1f}x")


if __name__ == "__main__":
    main()
