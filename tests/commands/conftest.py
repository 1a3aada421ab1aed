"""Run the commands the README gives a user, exactly as typed in a checkout, and read
what they print. `make commands` runs these tests (in `make test`); the unit run skips
this directory because each test here brings up real hosts for minutes."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# PlaybookRun reads PLAY RECAP: one copy, shared with the Molecule tests.
sys.path.insert(0, str(ROOT / "molecule" / "resources"))
from playbook_run import PlaybookRun  # noqa: E402

# Every container the demos make; the tests refuse to run over a user's own demo.
DEMO_CONTAINERS = [
    "flaskstack-demo",
    "flaskstack-demo-web",
    "flaskstack-demo-app1",
    "flaskstack-demo-app2",
    "flaskstack-demo-db",
]


def typed(command: str, log_dir: Path, timeout: float = 1200) -> PlaybookRun:
    """COMMAND as a user types it at the checkout's top, its output kept in LOG_DIR."""
    proc = subprocess.run(
        command,
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = proc.stdout + proc.stderr
    # Numbered in the order typed: a command typed twice keeps both logs.
    name = "".join(c if c.isalnum() else "-" for c in command)[:60]
    number = len(list(log_dir.glob("*.log"))) + 1
    (log_dir / f"{number:02d}-{name}.log").write_text(f"$ {command}\n{output}")
    return PlaybookRun(proc.returncode, output)


def assert_succeeded(run: PlaybookRun, command: str) -> None:
    assert run.rc == 0, f"`{command}` failed ({run.rc}):\n{run.output[-6000:]}"


def existing_demo_containers() -> list[str]:
    names = subprocess.run(
        ["docker", "ps", "-a", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [name for name in DEMO_CONTAINERS if name in names]


@pytest.fixture(scope="session")
def no_demo_running():
    """The tests make and remove the demos themselves: never over a user's own."""
    found = existing_demo_containers()
    if found or (ROOT / ".demo").exists():
        pytest.fail(
            f"A demo is up ({', '.join(found) or '.demo/ exists'}): these tests run"
            " `make demo` and `make demo-down` themselves. Run `make demo-down` first."
        )


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("typed")


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


def state(name: str) -> dict:
    """.demo/NAME, which the demo writes for scripts and the inventories."""
    return json.loads((ROOT / ".demo" / name).read_text())
