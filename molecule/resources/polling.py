"""Waiting for something a test started to happen, without a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable


def within(seconds: float, check: Callable[[], object], interval: float = 0.5) -> bool:
    """Whether CHECK() is true within SECONDS, asked every INTERVAL seconds; an exception
    from it (a host still booting, say) counts as not yet."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return True
        except Exception:  # every kind of failure means "not yet"
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
