"""fleet_noop_ratio and the deploy figures, on fleets of local containers provisioned over SSH.

fleet_noop_ratio: site.yml re-run on a fleet of 8 app hosts (with its web and db hosts)
÷ on a fleet of 1, the two fleets side by side in each run. fleet_noop_cpu_ratio: the
same runs' CPU seconds on the controller (user + system of ansible-playbook and every
process it waited for: bench/playbook.py), 8 ÷ 1.

deploy_p99_ratio: a fleet of two app hosts serves a steady load through its web host
(bench/loadgen.py in the load generator's container); playbooks/deploy.yml then rolls a
new release out over it. The p99 latency of the requests scheduled while the deploy ran
÷ that of the requests scheduled in the steady minutes before it, within each run.
deploy_failed: the requests of that load, scheduled while the deploy ran, that got no
2xx or 3xx answer (each request is sent once: bench/loadgen.py); the steady window's
failures are reported beside them, in deploy_runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import playbook
from hosts import CLIENT, PREFIX, ROOT, STATE_DIR, add_host_name, docker, exec_, start, wait_for_ssh
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
    """A copy of the reference app with another version: a new release to roll out."""
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
        }
    return result


def _load(site: str, out: str, rate: float, max_seconds: float) -> subprocess.Popen:
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


def _stop(load: subprocess.Popen, out: str) -> list:
    exec_(CLIENT, "sh", "-c", f"kill -TERM $(cat {out}.pid)")
    load.wait(timeout=60)
    return [json.loads(line) for line in exec_(CLIENT, "cat", out).splitlines() if line]


def deploy_p99(
    runs: int, inventory: str, web: str, site: str, steady_seconds: float = 30, rate: float = 40
) -> dict:
    """Rolling deploys of new releases (INVENTORY's app hosts) under a steady load through
    nginx on WEB, which serves SITE."""
    add_host_name(site, web)
    steady_p99, deploy_p99, ratio, failed, detail = [], [], [], [], []
    for i in range(runs):
        variant = app_variant(i + 1)
        out = f"/tmp/load-{i}.jsonl"
        load = _load(site, out, rate, steady_seconds + 900)
        time.sleep(2)  # connections open, the first requests answered
        steady_from = time.time()
        time.sleep(steady_seconds)
        deploy_from = time.time()
        run = playbook.run(inventory, "playbooks/deploy.yml", "-e", f"flaskapp_source={variant}")
        deploy_to = time.time()
        time.sleep(2)
        samples = _stop(load, out)
        result = windows(samples, (steady_from, deploy_from), (deploy_from, deploy_to))
        steady_p99.append(result["steady"]["p99_ms"])
        deploy_p99.append(result["deploy"]["p99_ms"])
        ratio.append(result["deploy"]["p99_ms"] / result["steady"]["p99_ms"])
        failed.append(result["deploy"]["failed"])
        detail.append(
            {
                **result,
                "deploy_seconds": run.seconds,
                "changed": run.changed,
                "timeline": _timeline(samples, steady_from, deploy_from, deploy_to),
            }
        )
    return {
        "steady_p99_ms": summary(steady_p99),
        "deploy_p99_ms": summary(deploy_p99),
        "deploy_p99_ratio": summary(ratio),
        "deploy_failed": summary(failed),
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
