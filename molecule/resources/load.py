"""A real client that keeps sending requests through nginx and counts every outcome.

Used while something disruptive happens (a reload, a restart): any connection error,
timeout or non-2xx status counts as a failed request.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from stack_http import request


class Load:
    """Run `workers` threads requesting `paths` in turn until stopped."""

    def __init__(self, container: str, paths: list[str], workers: int = 4, pause: float = 0.0):
        self._container = container
        self._paths = paths
        self._pause = pause
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            path = self._paths[n % len(self._paths)]
            n += 1
            try:
                status = request(self._container, path, timeout=30).status
                outcome = str(status)
            except Exception as error:  # every kind of failure counts
                outcome = type(error).__name__
            with self._lock:
                self.outcomes[outcome] += 1
                if not outcome.startswith("2"):
                    self.failures.append(f"{path}: {outcome}")
            if self._pause:
                time.sleep(self._pause)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
