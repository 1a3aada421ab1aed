"""`make bench`: the benchmark suite, against its own local containers.

    .venv/bin/python bench/run.py            # every figure, 3 runs each (25 to 35 minutes)
    .venv/bin/python bench/run.py --quick    # every code path once (about four minutes)

Brings up its hosts (bench/hosts.py), measures (wheelhouse.py, converge.py, serving.py,
restarts.py, fleet.py), writes latest.json, report.md and PNG plots (report.py) to bench/results/
(the quick mode to .bench/quick/), prints the table, and removes its containers.
No figure is asserted: a benchmark reports, the reader judges.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import converge  # noqa: E402
import fleet  # noqa: E402
import hosts  # noqa: E402
import report  # noqa: E402
import restarts  # noqa: E402
import serving  # noqa: E402
import wheelhouse  # noqa: E402


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(note: str) -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    docker = subprocess.run(
        ["docker", "version", "-f", "{{.Server.Version}}"], capture_output=True, text=True
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": f"{int(memory.split()[1]) // 1024 // 1024} GiB of memory",
        "software": f"Linux {platform.release()}, Docker {docker.stdout.strip()}, "
        f"Python {platform.python_version()}",
        "server_cpu": hosts.SERVER_CPU,
        "client_cpu": hosts.CLIENT_CPU,
        "load_before": _load(),
        "note": note,
    }


# Each step's title and when it began: results' `steps` give the seconds of each, which is
# where the durations the docs quote come from.
_steps: list[tuple[str, float]] = []


def step(title: str) -> None:
    _steps.append((title, time.time()))
    print(f"==> {title}", flush=True)


def _step_seconds(until: float) -> list[list]:
    """[[title, seconds], ...] in the order the steps ran."""
    ends = [began for _title, began in _steps[1:]] + [until]
    return [[title, round(end - began)] for (title, began), end in zip(_steps, ends, strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="every code path once, in about four minutes"
    )
    parser.add_argument("--runs", type=int, help="runs of each figure (default 3; 1 with --quick)")
    parser.add_argument("--out", type=Path, help="where the results go (default bench/results)")
    parser.add_argument(
        "--keep", action="store_true", help="leave the containers running afterwards"
    )
    parser.add_argument(
        "--note", default="nothing else known", help="what else the machine was doing"
    )
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    if runs < 1 or (not args.quick and runs < 3):
        parser.error("--runs: at least 3 (at least 1 with --quick)")
    out = args.out or (hosts.STATE_DIR / "quick" if args.quick else HERE / "results")
    seconds = 2 if args.quick else 10

    facts = machine(args.note)
    figures: dict = {}
    began = time.time()
    hosts.prepare()
    hosts.remove_all()
    try:
        step(f"Wheelhouse: a cold build ÷ a warm one, {runs} run(s)")
        figures.update(wheelhouse.measure(runs))
        converge.warm_wheelhouse_cache()
        hosts.start_client()

        step(f"One host: first converge ÷ its installs, {runs} run(s) on new containers")
        figures.update(converge.first_converge(runs))
        step(f"One host: no-op re-runs of site.yml, {runs} run(s)")
        figures.update(converge.noop(runs))

        step(f"One host: nginx ÷ gunicorn, static and dynamic, {runs} run(s) of {seconds} s each")
        for name in ("bench.test", "plain.bench.test"):
            hosts.add_host_name(name, converge.SINGLE)
        figures.update(serving.measure(converge.SINGLE, runs, seconds))

        step(f"One host: two reloads and two restarts of the app under load, {runs} run(s)")
        figures.update(restarts.measure(runs, converge.SINGLE, "bench.test", seconds))

        if args.quick:
            # The deploy's code path on the host already there: a fleet takes minutes to build.
            step(
                "One host: deploys under a steady load and without, and their build and "
                "install (the fleet's are skipped in quick mode)"
            )
            figures.update(
                fleet.deploys(
                    runs,
                    "single.yml",
                    converge.SINGLE,
                    "bench.test",
                    [converge.SINGLE],
                    steady_seconds=5,
                )
            )
        else:
            hosts.remove([converge.SINGLE])
            step("Fleets of 1 and of 8 app hosts (with a web and a db host each): first converge")
            for size in (1, 8):
                fleet.bring_up(size)
            step(f"Fleets: no-op re-runs, 8 app hosts ÷ 1, {runs} run(s)")
            figures.update(fleet.noop_ratio(runs))
            hosts.remove(fleet.names(1) + fleet.names(8))
            step(
                "A fleet of 2 app hosts: rolling deploys under a steady load and without, "
                f"and their build and install, {runs} run(s)"
            )
            fleet.bring_up(2)
            web, _db, *apps = fleet.names(2)
            figures.update(fleet.deploys(runs, "fleet2.yml", web, fleet.SITE, apps))
    finally:
        if not args.keep:
            step("Removing the bench's containers")
            hosts.remove_all()
    facts["load_after"] = _load()
    results = {
        "mode": "quick" if args.quick else "full",
        "runs": runs,
        "machine": facts,
        "seconds": round(time.time() - began),
        "steps": _step_seconds(time.time()),
        "figures": figures,
    }
    findings = (HERE / "findings.md").read_text() if not args.quick else ""
    report.write(results, out, findings)
    print(report.table(figures))
    print(f"\n{out / 'report.md'} ({results['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
