"""Real clients that keep sending requests through nginx and keep every outcome.

Used while something disruptive happens (a reload, a restart, a deploy, a host that
dies): any connection error, timeout or non-2xx status counts as a failed request.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from stack_http import post_json, request, send_json

# What the page links to: its stylesheet, script and images (the app's static files).
ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')
HEALTH = "/healthz"


@dataclass
class Outcome:
    start: float  # time.monotonic() when the request was sent
    end: float
    what: str  # "GET /healthz", "POST /api/notes"
    result: str  # the status ("200") or the exception's name
    release: str = ""  # the release that answered, for a health check (bodies are not kept)

    @property
    def ok(self) -> bool:
        return self.result.startswith("2")


class Load:
    """Run `workers` threads sending `steps` in turn until stopped.

    A step is a GET path, or a callable(container) -> (what, status, release) for anything
    else (see MixedLoad). Every outcome is kept, in `outcomes`, with its times; the health
    check's release too, but no body (a load runs for minutes).
    """

    # A short pause per request: a steady stream, not a flood that starves the hosts (and
    # the deploy or restart under test) of CPU on a small machine.
    def __init__(self, container: str, steps: list, workers: int = 4, pause: float = 0.02):
        self._container = container
        self._steps = steps
        self._pause = pause
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def _send(self, step):
        if callable(step):
            return step(self._container)
        reply = request(self._container, step, timeout=30)
        release = reply.json().get("release", "") if step == HEALTH and reply.status == 200 else ""
        return f"GET {step}", str(reply.status), release

    def _run(self) -> None:
        for step in itertools.cycle(self._steps):
            if self._stop.is_set():
                return
            start = time.monotonic()
            try:
                what, result, release = self._send(step)
            except Exception as error:  # every kind of failure counts
                what, result, release = str(step), type(error).__name__, ""
            with self._lock:
                self.outcomes.append(Outcome(start, time.monotonic(), what, result, release))
            if self._pause:
                time.sleep(self._pause)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def failures(self) -> list[str]:
        return [f"{o.what}: {o.result}" for o in self.outcomes if not o.ok]

    def counts(self) -> Counter[str]:
        return Counter(o.result for o in self.outcomes)

    def overlapping(self, start: float, end: float) -> list[Outcome]:
        """The requests that were under way at some moment between two monotonic times."""
        return [o for o in self.outcomes if o.start < end and o.end > start]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)


class MixedLoad(Load):
    """Pages, health checks, the notes list, new notes (POST), and notes edited (PATCH)
    then deleted (DELETE), as users of the app send them; each page's assets are fetched
    too. `created` maps the title of every note whose POST answered 201 and that the load
    keeps to its id; `attempted` holds the title of every POST sent."""

    def __init__(self, container: str, workers: int = 4):
        steps = [HEALTH, self._page, "/api/notes?limit=20", self._new_note, self._edited_note]
        super().__init__(container, steps, workers)
        # Every title starts with this, so the notes of this load can be found in the database.
        self.prefix = f"load {uuid.uuid4().hex[:12]}"
        self.created: dict[str, int] = {}
        self.attempted: list[str] = []

    def _page(self, container: str):
        page = request(container, "/", timeout=30)
        for asset in ASSET.findall(page.text):
            # A page that links a file nginx cannot serve is a failed request.
            status = request(container, asset, timeout=30).status
            if status != 200:
                return f"GET {asset} (linked by /)", str(status), ""
        return "GET /", str(page.status), ""

    def _new_note(self, container: str):
        title = f"{self.prefix} {uuid.uuid4().hex}"
        with self._lock:
            self.attempted.append(title)
        reply = post_json(container, "/api/notes", {"title": title}, timeout=30)
        if reply.status == 201:
            with self._lock:
                self.created[title] = reply.json()["id"]
        return "POST /api/notes", str(reply.status), ""

    def _edited_note(self, container: str):
        """A note made, edited and deleted: three requests, the first that fails named."""
        title = f"{self.prefix} scratch {uuid.uuid4().hex}"
        with self._lock:
            self.attempted.append(title)
        made = post_json(container, "/api/notes", {"title": title}, timeout=30)
        if made.status != 201:
            return "POST /api/notes (to edit)", str(made.status), ""
        path = f"/api/notes/{made.json()['id']}"
        edited = send_json(container, path, {"body": "edited"}, method="PATCH", timeout=30)
        if edited.status != 200:
            return f"PATCH {path}", str(edited.status), ""
        deleted = request(container, path, method="DELETE", timeout=30)
        return f"DELETE {path}", str(deleted.status), ""

    def releases(self) -> set[str]:
        """The releases that answered the health checks."""
        return {o.release for o in self.outcomes if o.release}

    def rate(self, start: float, end: float) -> float:
        """Requests answered per second between two monotonic times."""
        done = [o for o in self.outcomes if o.ok and start <= o.end < end]
        return len(done) / (end - start)
