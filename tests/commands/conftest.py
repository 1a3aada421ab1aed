"""Run the commands the README gives a user, exactly as typed in a checkout, and read
what they print. `make commands` runs these tests (in `make test`); the unit run skips
this directory because each test here brings up real hosts for minutes."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# PlaybookRun reads PLAY RECAP: one copy, shared with the Molecule tests.
sys.path.insert(0, str(ROOT / "molecule" / "resources"))
from playbook_run import PlaybookRun  # noqa: E402

# Every container the demos make (scripts/demo.sh).
DEMO_CONTAINERS = [
    "flaskstack-demo",
    "flaskstack-demo-web",
    "flaskstack-demo-app1",
    "flaskstack-demo-app2",
    "flaskstack-demo-db",
]


def typed(command: str, log_dir: Path, timeout: float = 1200) -> PlaybookRun:
    """COMMAND as a user types it at the checkout's top, its output kept in LOG_DIR.
    Past TIMEOUT the whole process group goes (make, ansible-playbook, ssh), not only
    the shell, and the run counts as failed."""
    proc = subprocess.Popen(
        command,
        shell=True,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        output += f"\n[tests/commands: killed after {timeout:.0f} s]"
    # Numbered in the order typed: a command typed twice keeps both logs.
    name = "".join(c if c.isalnum() else "-" for c in command)[:60]
    number = len(list(log_dir.glob("*.log"))) + 1
    (log_dir / f"{number:02d}-{name}.log").write_text(f"$ {command}\n{output}")
    return PlaybookRun(proc.returncode, output)


def assert_succeeded(run: PlaybookRun, command: str) -> None:
    assert run.rc == 0, f"`{command}` failed ({run.rc}):\n{run.output[-6000:]}"


def assert_changed_nothing(run: PlaybookRun, command: str) -> None:
    assert_succeeded(run, command)
    changed = {host: counts["changed"] for host, counts in run.recap().items()}
    assert changed, f"`{command}` printed no PLAY RECAP:\n{run.output[-3000:]}"
    assert changed == dict.fromkeys(changed, 0), run.output[-6000:]


def existing_demo_containers() -> list[str]:
    names = subprocess.run(
        ["docker", "ps", "-a", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [name for name in DEMO_CONTAINERS if name in names]


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("typed")


@contextmanager
def demo_up(command: str, log_dir: Path) -> Iterator[PlaybookRun]:
    """COMMAND (make demo or make demo-fleet) has brought a demo up; `make demo-down`
    runs afterwards whatever happened, so a failed run leaves nothing behind.

    A demo of the user's own is never touched: the tests skip, saying why. In CI no user
    has a demo, so one found there was left by an earlier run that was killed before its
    own `make demo-down`: it is removed first, through the same command."""
    found = existing_demo_containers()
    if found or (ROOT / ".demo").exists():
        left = ", ".join(found) or ".demo/ exists"
        if not os.environ.get("CI"):
            pytest.skip(
                f"A demo is up ({left}): these tests bring the demos up and remove them,"
                " so they leave yours alone. `make demo-down`, then `make commands`, runs them."
            )
        print(f"CI: removing a demo an earlier, killed run left behind ({left})")
        assert_succeeded(typed("make demo-down", log_dir), "make demo-down")
    try:
        run = typed(command, log_dir)
        assert_succeeded(run, command)
        yield run
    finally:
        typed("make demo-down", log_dir)


def get(url: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """GET URL over HTTPS (the demos' certificates are self-signed), SNI from its host."""
    parsed = http.client.urlsplit(url)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((parsed.hostname, parsed.port), timeout)
    conn = http.client.HTTPSConnection(parsed.hostname, parsed.port, timeout=timeout)
    conn.sock = context.wrap_socket(raw, server_hostname=parsed.hostname)
    try:
        conn.request("GET", parsed.path or "/")
        reply = conn.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        conn.close()


# What a demo serves over HTTPS: the page, one of its static files, the health check.
PAGES = [("/", "text/html"), ("/static/style.css", "text/css"), ("/healthz", "application/json")]


def assert_serves(url: str, path: str, content_type: str) -> None:
    status, headers, _ = get(url.rstrip("/") + path)
    assert status == 200
    assert headers["content-type"].startswith(content_type)


def state(name: str) -> dict:
    """.demo/NAME, which the demo writes for scripts and the inventories."""
    return json.loads((ROOT / ".demo" / name).read_text())
