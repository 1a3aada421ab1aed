"""The app's service: restarts without failing requests, hands over to a new gunicorn on
reload with no gap, recovers from SIGKILL, sandboxed."""

import re
import time

import pytest
from load import Load
from playbook_run import app_name
from stack_http import post_json, request

SERVICE = f"{app_name()}.service"


def _main_pid(host) -> str:
    return host.check_output(f"systemctl show -p MainPID --value {SERVICE}")


@pytest.mark.parametrize("how", ["restart", "reload"])
def test_restarts_and_reloads_under_load_fail_no_request(host, container, how):
    # restart: stop, then start (requests wait in the socket's queue meanwhile); reload: a
    # new gunicorn takes over, what a deploy does and what an operator types to restart.
    masters, windows = [_main_pid(host)], []
    with Load(container, ["/healthz", "/api/notes", "/"], workers=4) as load:
        time.sleep(1)
        for _ in range(2):
            started = time.monotonic()
            host.run_expect([0], f"systemctl {how} {SERVICE}")
            windows.append((started, time.monotonic()))
            masters.append(_main_pid(host))
            time.sleep(1)
    assert load.failures == []
    # Requests were on their way through every one, not only between them.
    assert all(load.overlapping(start, end) for start, end in windows)
    # Each left one new master serving, the one systemd follows; the old ones stopped.
    assert len(set(masters)) == 3, masters
    assert host.service(SERVICE).is_running
    masters_running = host.check_output(
        f"pgrep --uid {app_name()} --parent 1 --count --full 'gunicorn --config'"
    )
    assert masters_running == "1"
    slowest = max(o.end - o.start for o in load.overlapping(windows[0][0], windows[-1][1]))
    print(f"slowest request during the {how}s: {slowest * 1000:.0f} ms")


def test_killed_master_serves_again_within_five_seconds(host, container):
    pid = _main_pid(host)
    host.run_expect([0], f"kill -KILL {pid}")
    killed_at = time.monotonic()
    while time.monotonic() - killed_at < 10:
        new_pid = _main_pid(host)
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
