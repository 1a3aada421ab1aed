"""Under continuous load through the web host (pages with their assets, health checks,
the notes list, new notes by POST), an app host fails in each way it can: its service
stops; its container shuts down, crashes or freezes. Every note whose POST answered 201
must be stored exactly once."""

import subprocess
import time

import pytest
from app_socket import app_request
from database import notes_stored_once
from load import MixedLoad
from playbook_run import instance
from polling import within

# Seconds the tests give nginx to notice a failed host and then to take it back: a
# connect timeout, then the fail_timeout of roles/nginx (nginx_upstream_fail_timeout: 5).
NOTICE = 3
TAKE_BACK = 8
# Seconds nginx waits for a frozen host's answer to a GET before it asks the other host
# (roles/nginx: nginx_upstream_get_timeout).
GET_TIMEOUT = 5


@pytest.fixture
def load(web, db):
    """A mixed load through the web host; after the test, no note is lost or doubled."""
    with MixedLoad(web, workers=4) as running:
        time.sleep(3)
        yield running
    notes_stored_once(db, running)


def test_an_app_service_stopped_then_started_fails_no_request(load, apps):
    host = instance(apps[0])
    host.run_expect([0], "systemctl stop flaskapp.socket flaskapp.service")
    time.sleep(NOTICE + 2)
    host.run_expect([0], "systemctl start flaskapp.socket flaskapp.service")
    time.sleep(TAKE_BACK)
    assert load.failures == []
    assert load.total > 50


def _failures_after(load: MixedLoad, instant: float) -> list[str]:
    """Failed requests sent after INSTANT: requests in flight at a failure may fail."""
    return [f"{o.what}: {o.result}" for o in load.outcomes if not o.ok and o.start > instant]


# stop: the host shuts down (its app stops for good, refusing new connections first);
# kill: it crashes at once; pause: it freezes, holding its connections open.
@pytest.mark.parametrize("how", ["stop", "kill", "pause"])
def test_an_app_host_that_dies_is_skipped_then_taken_back(load, apps, addresses, answering, how):
    container, address = apps[1], addresses[apps[1]]
    before = time.monotonic()
    time.sleep(3)
    failed_at = time.monotonic()
    subprocess.run(["docker", how, container], check=True, capture_output=True)
    try:
        if how == "pause":
            # Frozen for longer than a GET may wait for it, to show that none does.
            time.sleep(GET_TIMEOUT + NOTICE + 4)
        else:
            time.sleep(NOTICE + 5)
            # The remaining host answers at least half the rate both did.
            assert load.rate(failed_at + NOTICE, failed_at + NOTICE + 5) >= 0.5 * load.rate(
                before, failed_at
            )
    finally:
        subprocess.run(
            ["docker", "unpause" if how == "pause" else "start", container],
            check=True,
            capture_output=True,
        )
    back_at = time.monotonic()
    # A started container boots again: wait for its app, then for nginx to try it again.
    assert instance(container).check_output("hostname -I").split()[0] == address, (
        "the container came back with another address (another container took its own)"
    )
    # Its own health check, through its own socket: through nginx, the other host answers.
    # It may be booting: no socket yet, or the container not even accepting commands.
    healthy = within(90, lambda: app_request(container, "/healthz").status == 200, interval=1)
    assert healthy, f"{container} did not answer /healthz again"
    time.sleep(TAKE_BACK)
    if how == "pause":
        # A frozen host accepts connections and never answers: no GET waited for it much
        # longer than GET_TIMEOUT (a POST it held was answered when it thawed).
        waits = [
            o.end - o.start
            for o in load.overlapping(failed_at, back_at)
            if o.what.startswith("GET ")
        ]
        assert max(waits) <= GET_TIMEOUT + NOTICE, sorted(waits)[-5:]
    assert _failures_after(load, failed_at + 1) == []
    assert address in answering()
