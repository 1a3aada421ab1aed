"""fleet_noop_ratio and the deploy figures, on fleets of local containers provisioned over SSH.

fleet_noop_ratio: site.yml re-run on a fleet of 8 app hosts (with its web and db hosts)
÷ on a fleet of 1, the two fleets side by side in each run. fleet_noop_cpu_ratio: the
same runs' CPU seconds on the controller (user + system of ansible-playbook and every
process it waited for: bench/playbook.py), 8 ÷ 1.

deploy_p99_ratio: a fleet of two app hosts serves a steady load through its web host
(bench/loadgen.py in the load generator's container); playbooks/deploy.yml then rolls a
new release out over it. The p99 latency of the requests scheduled while the deploy ran
÷ that of the requests scheduled in the steady window (30 s) before it, within each run.
deploy_failed: the requests of that load, scheduled while the deploy ran, that got no
2xx or 3xx answer (each request is sent once: bench/loadgen.py); the steady window's
failures are reported beside them, in deploy_runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import playbook
import wheelhouse
from hosts import (
    CLIENT,
    PREFIX,
    ROOT,
    STATE_DIR,
    add_host_name,
    docker,
    exec_,
    install_offline,
    start,
    wait_for_ssh,
)
from stats import percentile, ratios, summary

# The paths of the steady load: a page, the notes list (PostgreSQL), the health check and
# a static file, in turn.
PATHS = ["/", "/api/notes?limit=20", "/healthz", "/static/app.js"]
SITE = "fleet.bench.test"


def names(size: int) -> list[str]:
    fleet = f"{PREFIX}f{size}-"
    return [fleet + "web", fleet + "db"] + [f"{fleet}app{i}" for i in range(1, size + 1)]


def bring_up(size: int) -> playbook.Run:
    """Start the fleet's containers (the second app host of the 2-fleet on Debian 13) and
    converge it with site.yml."""
    for name in names(size):
        trixie = size == 2 and name.endswith("app2")
        start(name, "flaskstack-target:trixie" if trixie else "flaskstack-target:bookworm")
    wait_for_ssh(playbook.INVENTORY / f"fleet{size}.yml")
    return playbook.run(f"fleet{size}.yml")


def noop_ratio(runs: int, large: int = 8, small: int = 1) -> dict:
    wall: dict[int, list[float]] = {large: [], small: []}
    cpu: dict[int, list[float]] = {large: [], small: []}
    profile, tasks = [], {}
    for i in range(runs):
        pair = [large, small] if i % 2 == 0 else [small, large]
        for size in pair:
            run = playbook.run(f"fleet{size}.yml")
            wall[size].append(run.seconds)
            cpu[size].append(run.cpu_seconds)
            if size == large and i == 0:
                profile = [list(row) for row in run.profile()]
                tasks = run.tasks_per_host()
    return {
        f"fleet{large}_noop_seconds": summary(wall[large]),
        f"fleet{small}_noop_seconds": summary(wall[small]),
        "fleet_noop_ratio": summary(ratios(wall[large], wall[small])),
        f"fleet{large}_noop_cpu_seconds": summary(cpu[large]),
        f"fleet{small}_noop_cpu_seconds": summary(cpu[small]),
        "fleet_noop_cpu_ratio": summary(ratios(cpu[large], cpu[small])),
        f"fleet{large}_noop_tasks": tasks,
        f"fleet{large}_noop_profile": profile,
    }


def app_variant(number: int) -> Path:
    """A copy of the reference app with another version and content of its own: a new
    release for the hosts, and for the controller's cache too, which keeps the builds of
    earlier bench runs (a variant of the same content would be found there, not built)."""
    variant = STATE_DIR / "variants" / f"v{number}"
    shutil.rmtree(variant, ignore_errors=True)
    shutil.copytree(
        ROOT / "app",
        variant,
        ignore=shutil.ignore_patterns(
            ".venv", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache"
        ),
    )
    pyproject = variant / "pyproject.toml"
    text = pyproject.read_text()
    text = re.sub(
        r'^version = "([^"]+)"', rf'version = "\1.post{number}"', text, count=1, flags=re.M
    )
    pyproject.write_text(text)
    # Packed into the app's wheel with the rest of the package.
    (variant / "notesapp" / "BENCH_VARIANT").write_text(f"{number} {time.time_ns()}\n")
    return variant


def answered(status: str) -> bool:
    """A 2xx or 3xx answer; an error's name (no answer), 4xx or 5xx is a failed request."""
    return str(status).startswith(("2", "3"))


def windows(samples: list, steady: tuple[float, float], deploy: tuple[float, float]) -> dict:
    """p99 latency and failures of the requests scheduled in each window (pure; tested)."""
    result = {}
    for name, (low, high) in (("steady", steady), ("deploy", deploy)):
        inside = [s for s in samples if low <= s[0] < high]
        if not inside:
            raise ValueError(f"no request was scheduled in the {name} window")
        latencies = [s[1] * 1000 for s in inside]
        failures = Counter(str(s[2]) for s in inside if not answered(s[2]))
        result[name] = {
            "requests": len(inside),
            "failed": sum(failures.values()),
            # What each failure was: a status, or the error's name (RemoteDisconnected, ...).
            "failures": dict(sorted(failures.items())),
            "p50_ms": percentile(latencies, 0.50),
            "p99_ms": percentile(latencies, 0.99),
            "max_ms": max(latencies),
        }
    return result


def start_load(site: str, out: str, rate: float, max_seconds: float) -> subprocess.Popen:
    """bench/loadgen.py in the load generator's container: RATE requests a second of PATHS
    to SITE, one line per request in OUT there (see stop_load)."""
    docker("cp", str(Path(__file__).with_name("loadgen.py")), f"{CLIENT}:/tmp/loadgen.py")
    exec_(CLIENT, "rm", "-f", out, out + ".pid")
    return subprocess.Popen(
        [
            "docker",
            "exec",
            CLIENT,
            "python3",
            "/tmp/loadgen.py",
            site,
            str(rate),
            str(max_seconds),
            out,
            *PATHS,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_load(load: subprocess.Popen, out: str) -> list:
    """Stop the load and read its requests: [scheduled start, latency, status, path] each."""
    exec_(CLIENT, "sh", "-c", f"kill -TERM $(cat {out}.pid)")
    load.wait(timeout=60)
    return [json.loads(line) for line in exec_(CLIENT, "cat", out).splitlines() if line]


def _deploy(inventory: str, variant: Path) -> playbook.Run:
    return playbook.run(inventory, "playbooks/deploy.yml", "-e", f"flaskapp_source={variant}")


def _deploy_under_load(
    inventory: str, variant: Path, site: str, out: str, steady_seconds: float, rate: float
) -> dict:
    """A steady window of the load, then the deploy of VARIANT under it: the windows'
    latencies and failures, the deploy's run and the timeline for the plot."""
    load = start_load(site, out, rate, steady_seconds + 900)
    time.sleep(2)  # connections open, the first requests answered
    steady_from = time.time()
    time.sleep(steady_seconds)
    deploy_from = time.time()
    run = _deploy(inventory, variant)
    deploy_to = time.time()
    time.sleep(2)
    samples = stop_load(load, out)
    return {
        **windows(samples, (steady_from, deploy_from), (deploy_from, deploy_to)),
        "run": run,
        "timeline": _timeline(samples, steady_from, deploy_from, deploy_to),
    }


# Where the floor installs on the app host: not under /tmp, a tmpfs that `docker cp`
# cannot reach and Docker mounts noexec.
FLOOR_DIR = "/root/bench-deploy-floor"


def _python_version(host: str) -> str:
    return exec_(host, "python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])")


def deploy_floor(variant: Path, app_hosts: list[str]) -> dict:
    """What any deploy of VARIANT must do, timed: build its wheelhouse on the controller for
    each Python the app hosts run (the role's module, one build after the other, as the
    role loops), then install it offline into a new virtualenv on the first app host.
    The builds go to a scratch directory, so the role's cache of built releases holds
    nothing for them, while pip's cache is warm and the dependencies the role's cache
    already downloaded are there, as they are for the deploy (a new release with the
    same dependencies downloads none). Copying the wheels to the host is not timed (nor
    is it in converge.floor)."""
    host = app_hosts[0]
    targets = sorted({_python_version(name) for name in app_hosts})
    scratch = Path(tempfile.mkdtemp(dir=STATE_DIR, prefix="deploy-floor-"))
    downloaded = STATE_DIR / "wheelhouses" / ".dependencies"
    if downloaded.is_dir():
        shutil.copytree(downloaded, scratch / ".dependencies")
    try:
        build = sum(wheelhouse.build(scratch, version, variant) for version in targets)
        (wheels,) = scratch.glob(f"*/{_python_version(host)}-{wheelhouse.ARCHITECTURE}")
        exec_(host, "rm", "-rf", FLOOR_DIR)
        exec_(host, "mkdir", "-p", FLOOR_DIR)
        docker("cp", f"{wheels}/.", f"{host}:{FLOOR_DIR}/wheelhouse")
        begin = time.perf_counter()
        install_offline(host, FLOOR_DIR)
        install = time.perf_counter() - begin
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        exec_(host, "rm", "-rf", FLOOR_DIR, check=False)
    return {
        "seconds": build + install,
        "build_seconds": build,
        "install_seconds": install,
        "pythons": targets,
        "install_host": host,
    }


def deploys(
    runs: int,
    inventory: str,
    web: str,
    site: str,
    app_hosts: list[str],
    steady_seconds: float = 30,
    rate: float = 40,
) -> dict:
    """Rolling deploys of new releases over INVENTORY's APP_HOSTS: one under a steady load
    through nginx on WEB (which serves SITE), one of another new release without load, and
    the floor of that one (deploy_floor), in each run, in alternating order."""
    add_host_name(site, web)
    under_load, alone, floors, detail = [], [], [], []
    for i in range(runs):
        loaded_variant, alone_variant = app_variant(2 * i + 1), app_variant(2 * i + 2)
        order = ["under_load", "alone", "floor"] if i % 2 == 0 else ["floor", "alone", "under_load"]
        done: dict = {}
        for step in order:
            if step == "under_load":
                done[step] = _deploy_under_load(
                    inventory, loaded_variant, site, f"/tmp/load-{i}.jsonl", steady_seconds, rate
                )
            elif step == "alone":
                done[step] = _deploy(inventory, alone_variant)
            else:
                done[step] = deploy_floor(alone_variant, app_hosts)
        loaded, quiet, floor = done["under_load"], done["alone"], done["floor"]
        run = loaded.pop("run")
        under_load.append(loaded)
        alone.append(quiet.seconds)
        floors.append(floor)
        detail.append(
            {
                **loaded,
                "order": order,
                "deploy_under_load_seconds": run.seconds,
                "changed_under_load": run.changed,
                "deploy_seconds": quiet.seconds,
                "changed": quiet.changed,
                "floor": floor,
            }
        )
    loaded_seconds = [r["deploy_under_load_seconds"] for r in detail]
    steady_p99 = [r["steady"]["p99_ms"] for r in under_load]
    deploy_p99 = [r["deploy"]["p99_ms"] for r in under_load]
    floor_seconds = [f["seconds"] for f in floors]
    return {
        "deploy_seconds": summary(alone),
        "deploy_floor_seconds": summary(floor_seconds),
        "deploy_build_seconds": summary([f["build_seconds"] for f in floors]),
        "deploy_install_seconds": summary([f["install_seconds"] for f in floors]),
        "deploy_ratio": summary(ratios(alone, floor_seconds)),
        "deploy_under_load_seconds": summary(loaded_seconds),
        "deploy_load_ratio": summary(ratios(loaded_seconds, alone)),
        "steady_p99_ms": summary(steady_p99),
        "deploy_p99_ms": summary(deploy_p99),
        "deploy_p99_ratio": summary(ratios(deploy_p99, steady_p99)),
        "deploy_failed": summary([r["deploy"]["failed"] for r in under_load]),
        "deploy_runs": detail,
    }


def _timeline(samples: list, steady_from: float, deploy_from: float, deploy_to: float) -> dict:
    """What the plot of one run needs: each request's time (from the steady window's start)
    and latency, and where the deploy began and ended."""
    return {
        "t": [round(s[0] - steady_from, 3) for s in samples],
        "ms": [round(s[1] * 1000, 2) for s in samples],
        "ok": [answered(s[2]) for s in samples],
        "deploy": [round(deploy_from - steady_from, 3), round(deploy_to - steady_from, 3)],
    }
