"""restart_p99_ratio, restart_max_ms and restart_failed: what restarting the app costs the
requests of a steady load through nginx on the single host.

In each run, a steady window of the load (bench/loadgen.py: every request sent once),
then two `systemctl reload flaskapp`: the handover that deploys use and that operators
type (a new gunicorn takes over once its workers have loaded the app). The p99 latency of
the requests scheduled from the first reload to the end of the second ÷ that of the
steady window, within the run; the slowest of them; and those without a 2xx or 3xx
answer. Side by side, in alternating order, the same with two `systemctl restart
flaskapp` (stop, then start: requests wait in the socket's queue while the new workers
load the app), reported as plain_restart_* for comparison, with no target.
"""

from __future__ import annotations

import time

from fleet import start_load, stop_load, windows
from hosts import exec_
from stats import ratios, summary

SERVICE = "flaskapp.service"
HOW = {"reload": "restart", "restart": "plain_restart"}


def _under_load(host: str, site: str, how: str, out: str, steady_seconds: float, rate: float):
    load = start_load(site, out, rate, steady_seconds + 300)
    time.sleep(2)  # connections open, the first requests answered
    steady_from = time.time()
    time.sleep(steady_seconds)
    restarts_from = time.time()
    for _ in range(2):
        exec_(host, "systemctl", how, SERVICE)
        time.sleep(1)
    restarts_to = time.time()
    time.sleep(2)
    samples = stop_load(load, out)
    return windows(samples, (steady_from, restarts_from), (restarts_from, restarts_to))


def measure(runs: int, host: str, site: str, steady_seconds: float = 10, rate: float = 40) -> dict:
    """Two reloads and two restarts of HOST's app under a load through SITE, per run."""
    measured: dict[str, list[dict]] = {how: [] for how in HOW}
    for i in range(runs):
        order = list(HOW) if i % 2 == 0 else list(reversed(HOW))
        for how in order:
            out = f"/tmp/restart-{how}-{i}.jsonl"
            measured[how].append(_under_load(host, site, how, out, steady_seconds, rate))
    figures: dict = {"restart_runs": measured}
    for how, name in HOW.items():
        steady = [w["steady"]["p99_ms"] for w in measured[how]]
        during = [w["deploy"]["p99_ms"] for w in measured[how]]
        figures[f"{name}_p99_ratio"] = summary(ratios(during, steady))
        figures[f"{name}_max_ms"] = summary([w["deploy"]["max_ms"] for w in measured[how]])
        figures[f"{name}_failed"] = summary([w["deploy"]["failed"] for w in measured[how]])
    return figures
