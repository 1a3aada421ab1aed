"""The flaskapp role's handover (NAME-handover, gunicorn.conf.py's hooks) against a real
gunicorn, started here as systemd starts it (its socket passed as fd 3, a notify socket
read): under a steady stream of requests a new gunicorn on another release takes over
with not one failed request, and one whose app cannot load never stops the serving one."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from library import ROOT, role_template

BIN = Path(sys.executable).parent
WORKERS = 2

# Each release serves its own name, and notes in DIRECTORY/events when a worker has
# loaded it and when a worker is warmed up (flaskapp_warmup_paths); "broken" cannot be
# imported.
RELEASE = """
import os, time
EVENTS = os.path.join(os.path.dirname(__file__), "..", "..", "events")
def note(what):
    with open(EVENTS, "a") as events:
        events.write(f"{{time.monotonic()}} {{os.getpid()}} {{what}}\\n")
note("loaded {name}")
def application(environ, start_response):
    if environ["PATH_INFO"] == "/warm":
        note("warmed {name}")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"{name}"]
"""
APPS = {
    "r1": RELEASE.format(name="r1"),
    "r2": RELEASE.format(name="r2"),
    "broken": "raise RuntimeError('this release is broken on purpose')\n",
}

# Starts gunicorn as systemd does for NAME.service: the listening socket at fd 3
# (LISTEN_FDS), NOTIFY_SOCKET for sd_notify, the working directory `current`.
LAUNCH = """
import os, socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen(128)
os.dup2(listener.fileno(), 3)
os.set_inheritable(3, True)  # dup2 onto itself (fd 3 already) keeps it close-on-exec
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), NOTIFY_SOCKET=sys.argv[2])
os.chdir(sys.argv[3])
gunicorn = os.path.join(sys.argv[3], "venv", "bin", "gunicorn")
os.execv(gunicorn, [gunicorn, "--config", sys.argv[4]])
"""


def test_the_role_tests_the_gunicorn_it_installs():
    defaults = yaml.safe_load((ROOT / "roles/flaskapp/defaults/main.yml").read_text())
    pinned = re.search(r"^gunicorn==\S+$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pinned and pinned[0] == defaults["flaskapp_gunicorn_requirement"]


class App:
    """A gunicorn of the role's configuration, in DIRECTORY: releases/NAME/{app.py, venv},
    `current`, a runtime directory, and the notify socket's messages in `notified`."""

    def __init__(self, directory: Path, **settings):
        self.directory = directory
        self.socket = str(directory / "app.sock")
        self.runtime = directory / "run"
        self.runtime.mkdir()
        for name, code in APPS.items():
            release = directory / "releases" / name
            release.mkdir(parents=True)
            (release / "app.py").write_text(code)
            # The controller's virtualenv stands in for each release's own.
            (release / "venv").symlink_to(BIN.parent)
        self.link("r1")
        variables = {
            "flaskapp_name": "app",
            "flaskapp_wsgi_app": "app:application",
            "flaskapp_workers": WORKERS,
            "flaskapp_worker_class": "sync",
            "flaskapp_threads": 1,
            "flaskapp_timeout": 10,
            "flaskapp_graceful_timeout": 5,
            "flaskapp_keepalive": 2,
            "flaskapp_max_requests": 0,
            "flaskapp_max_requests_jitter": 0,
            "flaskapp_release_env_var": "",
            "flaskapp_warmup_paths": ["/warm"],
            "_flaskapp_current": str(directory / "current"),
            "_flaskapp_runtime_dir": str(self.runtime),
            "_flaskapp_socket": self.socket,
            "_flaskapp_config_dir": str(directory),
            "_flaskapp_handover_command": str(directory / "handover"),
            **settings,
        }
        self.config = directory / "gunicorn.conf.py"
        self.config.write_text(
            role_template("flaskapp", "etc/flaskapp/gunicorn.conf.py.j2", **variables)
        )
        self.handover_script = directory / "handover"
        self.handover_script.write_text(
            role_template("flaskapp", "usr/local/sbin/flaskapp-handover.j2", **variables)
        )
        self.notified: list[str] = []
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._notify.bind(str(directory / "notify"))
        self._notify.settimeout(0.2)
        self._reading = True
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._log = open(directory / "gunicorn.log", "w")  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                LAUNCH,
                self.socket,
                str(directory / "notify"),
                str(directory / "current"),
                str(self.config),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        deadline = time.monotonic() + 30
        while self.booted(self.process.pid) < variables["flaskapp_workers"]:
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.05)

    def _read(self) -> None:
        while self._reading:
            try:
                self.notified.append(self._notify.recv(4096).decode())
            except TimeoutError:
                continue

    def events(self, release: str) -> list[tuple[float, int, str]]:
        """(time, worker PID, "loaded" or "warmed") for each event of RELEASE's workers."""
        lines = (self.directory / "events").read_text().splitlines()
        rows = [line.split() for line in lines]
        return [(float(at), int(pid), what) for at, pid, what, name in rows if name == release]

    def link(self, release: str) -> None:
        link = self.directory / "current.new"
        link.symlink_to(f"releases/{release}")
        link.rename(self.directory / "current")

    def booted(self, master: int) -> int:
        path = self.runtime / f"booted-{master}"
        return len(path.read_text().split()) if path.exists() else 0

    def master(self) -> int:
        """The master gunicorn's pidfile names; 0 while there is none (between the old
        master's exit and the new one's taking its place)."""
        path = self.runtime / "gunicorn.pid"
        return int(path.read_text()) if path.exists() else 0

    def handover(self) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(self.handover_script), str(self.master())],
            capture_output=True,
            text=True,
            timeout=60,
        )

    def connect(self) -> http.client.HTTPConnection:
        """An HTTP/1.1 connection to the app's socket, kept alive as nginx keeps its own."""
        connection = http.client.HTTPConnection("localhost", timeout=10)
        connection.sock = socket.socket(socket.AF_UNIX)
        connection.sock.settimeout(10)
        connection.sock.connect(self.socket)
        return connection

    def get(self) -> str:
        connection = self.connect()
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        return f"{response.status} {body}"

    def log(self) -> str:
        return (self.directory / "gunicorn.log").read_text()[-3000:]

    def stop(self) -> None:
        for pid in {self.process.pid, *self._masters()}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self.process.wait(timeout=30)
        self._reading = False
        self._reader.join()
        self._notify.close()
        self._log.close()

    def _masters(self) -> set[int]:
        """Every master that may still run: the pidfile's and the last one a handover
        started, which may not have renamed its pidfile yet (then the pidfile is gone)."""
        started = self.runtime / "handover"
        last = int(started.read_text()) if started.exists() else 0
        return {self.master(), last} - {0}


@pytest.fixture
def app(request, tmp_path):
    """A running App; a test changes the role's settings with
    @pytest.mark.parametrize("app", [{VARIABLE: VALUE}], indirect=True)."""
    started = App(tmp_path, **getattr(request, "param", {}))
    yield started
    started.stop()


class Stream:
    """Requests sent one after another from 4 threads until stopped; every answer kept."""

    def __init__(self, app: App):
        self.answers: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(app,)) for _ in range(4)]

    def _run(self, app: App) -> None:
        while not self._stop.is_set():
            try:
                self.answers.append(app.get())
            except Exception as error:  # every failure counts
                self.answers.append(type(error).__name__)
            time.sleep(0.005)

    def __enter__(self) -> Stream:
        for thread in self._threads:
            thread.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *_) -> None:
        time.sleep(0.5)
        self._stop.set()
        for thread in self._threads:
            thread.join()


def test_a_new_release_takes_over_with_no_failed_request(app):
    old = app.master()
    with Stream(app) as stream:
        app.link("r2")
        done = app.handover()
    assert done.returncode == 0, done.stderr + app.log()
    assert set(stream.answers) == {"200 r1", "200 r2"}
    assert stream.answers[-1] == "200 r2"
    new = int((app.runtime / "handover").read_text())
    # The new master tells systemd it is the main process; the old one has gone.
    assert f"MAINPID={new}" in app.notified
    assert old == app.process.pid and app.process.poll() is not None
    # Once the new master has renamed its pidfile, it can hand over in its turn.
    deadline = time.monotonic() + 10
    while app.master() != new:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    app.link("r1")
    assert app.handover().returncode == 0
    assert app.get() == "200 r1"


@pytest.mark.parametrize("app", [{"flaskapp_workers": 3}], indirect=True)
def test_a_new_gunicorn_boots_its_workers_one_by_one_each_warmed_up(app):
    """Beside the serving workers, the new ones load the app one after another (on this
    machine's CPUs, but one spare for the serving ones), and each answers its warm-up
    requests before it counts as booted."""
    app.link("r2")
    done = app.handover()
    assert done.returncode == 0, done.stderr + app.log()
    events = app.events("r2")
    workers = sorted({pid for _, pid, _ in events})
    assert len(workers) == 3, events
    for pid in workers:
        assert [what for _, who, what in events if who == pid] == ["loaded", "warmed"]
    if len(os.sched_getaffinity(0)) <= 2:
        # One at a time: a worker loads the app only once the one before is warmed up.
        assert [what for _, _, what in events] == ["loaded", "warmed"] * 3, events
    assert app.get() == "200 r2"


def test_a_release_that_cannot_load_never_stops_the_serving_one(app):
    old = app.master()
    with Stream(app) as stream:
        app.link("broken")
        done = app.handover()
    assert done.returncode == 1
    assert "The new gunicorn stopped before its workers all started" in done.stderr
    assert "this release is broken on purpose" in app.log()
    assert set(stream.answers) == {"200 r1"}
    assert app.master() == old
    assert app.get() == "200 r1"


@pytest.mark.parametrize(
    "app",
    [{"flaskapp_worker_class": "gthread", "flaskapp_threads": 2, "flaskapp_keepalive": 5}],
    indirect=True,
)
def test_a_stopping_gthread_worker_outlasts_the_idle_connections_nginx_keeps(app):
    """With a threaded worker class nginx keeps connections to the app alive. A worker
    that stops (a handover, a restart, max_requests) must never close one that nginx may
    still pick from its pool: a request sent as the close arrives fails, and nginx may not
    send a POST again. The role has nginx drop an idle connection after
    _flaskapp_upstream_idle_seconds; a stopping worker of the gunicorn it installs keeps
    each one open longer, and answers a request on it with "Connection: close"."""
    role_vars = yaml.safe_load((ROOT / "roles/flaskapp/vars/main.yml").read_text())
    nginx_idle = int(role_vars["_flaskapp_upstream_idle_seconds"])
    idle, answered = app.connect(), app.connect()
    try:
        for connection in (idle, answered):
            connection.request("GET", "/")
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b"r1")
            assert response.getheader("Connection", "").lower() != "close"
        last_used = time.monotonic()
        os.kill(app.master(), signal.SIGTERM)
        # The stopping worker still answers on a kept-alive connection once nginx could
        # last have used it, and tells nginx not to use it again.
        time.sleep(nginx_idle)
        answered.request("GET", "/")
        response = answered.getresponse()
        assert (response.status, response.read()) == (200, b"r1")
        assert response.getheader("Connection", "").lower() == "close"
        # The idle one stays open past the time nginx would have dropped it itself.
        assert idle.sock.recv(1) == b""
        lingered = time.monotonic() - last_used
        assert lingered >= nginx_idle + 0.5, f"closed {lingered:.2f} s after its last answer"
    finally:
        idle.close()
        answered.close()
