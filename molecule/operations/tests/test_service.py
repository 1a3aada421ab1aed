"""The app's service: restarts without failing requests, recovers from SIGKILL, sandboxed."""

import re
import time

from load import Load
from playbook_run import app_name
from stack_http import post_json, request

SERVICE = f"{app_name()}.service"


def test_restart_under_load_fails_no_request(host, container):
    restarts = []
    with Load(container, ["/healthz", "/api/notes", "/"], workers=4) as load:
        time.sleep(1)
        for _ in range(3):
            started = time.monotonic()
            host.run_expect([0], f"systemctl restart {SERVICE}")
            restarts.append((started, time.monotonic()))
            time.sleep(1)
    assert load.failures == []
    # Requests were on their way through every restart, not only between them.
    assert all(load.overlapping(start, end) for start, end in restarts)


def test_killed_master_serves_again_within_five_seconds(host, container):
    pid = host.check_output(f"systemctl show -p MainPID --value {SERVICE}")
    host.run_expect([0], f"kill -KILL {pid}")
    killed_at = time.monotonic()
    while time.monotonic() - killed_at < 10:
        new_pid = host.check_output(f"systemctl show -p MainPID --value {SERVICE}")
        if new_pid not in {"0", pid}:
            try:
                if request(container, "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
        time.sleep(0.1)
    elapsed = time.monotonic() - killed_at
    assert request(container, "/healthz").status == 200
    assert elapsed < 5, f"serving again after {elapsed:.1f} s"


def test_sandbox_scores_ok_or_safe_while_serving(host, container):
    report = host.check_output(f"systemd-analyze security --no-pager {SERVICE}")
    score = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", report).group(1))
    assert score <= 1.5, report
    assert request(container, "/healthz").status == 200


def test_data_survives_a_restart(host, container):
    created = post_json(container, "/api/notes", {"title": "survives restart"}).json()
    host.run_expect([0], f"systemctl restart {SERVICE}")
    assert request(container, f"/api/notes/{created['id']}").json()["title"] == "survives restart"
