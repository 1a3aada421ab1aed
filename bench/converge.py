"""noop_seconds, noop_ratio and first_converge_ratio, on the single host (the `make demo`
shape).

first_converge_ratio: site.yml on a new host ÷ the floor, the time of the package
installs and wheel installs that converge must do. The floor is measured on another new
host of the same image, right after: apt-get installs exactly the packages the converge
installed (read from dpkg before and after), and pip installs the release's wheelhouse
into a virtualenv. The controller's wheelhouse cache is warm in both (the wheelhouse
figure measures building it).

noop_seconds: site.yml again on the converged host, which must change nothing.
noop_ratio: that no-op ÷ a playbook of one task on the same host (bench/ping.yml: the
facts gathered, then ansible.builtin.ping), the two timed back to back in each run, in
alternating order from run to run.
"""

from __future__ import annotations

import time
from pathlib import Path

import playbook
import wheelhouse
from hosts import PREFIX, STATE_DIR, docker, exec_, install_offline, remove, start, wait_for_ssh
from stats import ratios, summary

SINGLE = PREFIX + "single"
FLOOR = PREFIX + "floor"
INVENTORY = "single.yml"


def _packages(host: str) -> set[str]:
    return set(exec_(host, "dpkg-query", "--show", "--showformat", "${Package}\n").split())


def new_single() -> tuple[float, set[str], playbook.Run]:
    """A new single host, converged: (seconds, the packages it installed, the run)."""
    start(SINGLE)
    wait_for_ssh(playbook.INVENTORY / INVENTORY)
    before = _packages(SINGLE)
    run = playbook.run(INVENTORY)
    return run.seconds, _packages(SINGLE) - before, run


def _wheelhouse(host: str) -> Path:
    """The controller's copy of the wheelhouse the host installed."""
    release = exec_(host, "readlink", "/srv/flaskapp/current").rsplit("/", 1)[-1]
    target = exec_(
        host,
        "python3",
        "-c",
        "import platform,sys;"
        "print(f'{sys.version_info[0]}.{sys.version_info[1]}-{platform.machine()}')",
    )
    return STATE_DIR / "wheelhouses" / release / target


def floor(packages: set[str], wheelhouse: Path) -> float:
    """What a first converge cannot avoid, timed on a new host of the same image."""
    start(FLOOR)
    docker("cp", f"{wheelhouse}/.", f"{FLOOR}:/root/wheelhouse")
    begin = time.perf_counter()
    exec_(
        FLOOR,
        "sh",
        "-c",
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y -qq --no-install-recommends " + " ".join(sorted(packages)),
    )
    install_offline(FLOOR, "/root")
    seconds = time.perf_counter() - begin
    remove([FLOOR])
    return seconds


def first_converge(runs: int) -> dict:
    converge, floors, installed = [], [], set()
    for _ in range(runs):
        seconds, installed, _run = new_single()
        converge.append(seconds)
        floors.append(floor(installed, _wheelhouse(SINGLE)))
    return {
        "first_converge_seconds": summary(converge),
        "floor_seconds": summary(floors),
        "first_converge_ratio": summary(ratios(converge, floors)),
        "floor_packages": sorted(installed),
    }


def noop(runs: int) -> dict:
    """site.yml again on the converged single host, beside the one-task playbook; a run of
    site.yml that changes anything is reported."""
    sites, pings = [], []
    for i in range(runs):
        for side in ("site", "ping") if i % 2 == 0 else ("ping", "site"):
            if side == "site":
                sites.append(playbook.run(INVENTORY))
            else:
                pings.append(playbook.run(INVENTORY, "bench/ping.yml", "--limit", SINGLE))
    median_run = sorted(sites, key=lambda r: r.seconds)[len(sites) // 2]
    return {
        "noop_seconds": summary([r.seconds for r in sites]),
        "ping_seconds": summary([r.seconds for r in pings]),
        "noop_ratio": summary(ratios([r.seconds for r in sites], [r.seconds for r in pings])),
        "noop_changed": [r.changed for r in sites],
        "noop_tasks": median_run.tasks_per_host(),
        "noop_profile": [list(row) for row in median_run.profile()],
    }


def warm_wheelhouse_cache() -> None:
    """Build the release for the targets' Pythons once, so that every converge measured finds
    it on the controller (bench/inventory points flaskapp_build_dir there)."""
    for python_version in ("3.11", "3.13"):
        wheelhouse.build(STATE_DIR / "wheelhouses", python_version)
