"""What a failed switch says (tasks/switch_failed.yml): which release failed and how, what
the app logged, what was put back and whether the app serves again. A pure function,
unit-tested in tests/test_flaskapp_filters.py."""

from __future__ import annotations

import re

# A traceback's last line, gunicorn's reason, or gunicorn's words for an app it cannot load.
_LOGGED_ERROR = re.compile(r"(Error|Exception|Reason):|^Failed to ")
# gunicorn's "[2026-12-02 07:30:31 +0000] [1064] [ERROR] " before its own lines.
_GUNICORN_PREFIX = re.compile(r"^\[[^]]*\] \[\d+\] \[[A-Z]+\] ")


# The steps where the app itself ran, and its log says why it failed.
APP_STEPS = ("check", "handover")


def _last_errors(log: list[str], count: int = 3) -> list[str]:
    """The last COUNT different error lines of LOG, oldest first. A crashing app logs the
    same traceback once per worker and once per restart: repeats would hide the others."""
    found: list[str] = []
    for line in reversed(log):
        line = _GUNICORN_PREFIX.sub("", line.strip())
        if _LOGGED_ERROR.search(line) and line not in found:
            found.append(line)
            if len(found) == count:
                break
    return found[::-1]


def flaskapp_switch_failure(failed: dict, context: dict) -> str:
    """FAILED: the failed task's result (guarded_change's, with failed_step, output,
    restored and recovered; or the migration's). CONTEXT: release, replaced, current (the
    link's path), failed_task (its name, when the failure was not guarded_change's),
    restored (what was put back), backup, log (the app's last log lines), healthy (the
    check after putting back), name (the app's)."""
    release, replaced = context["release"], context["replaced"]
    switching = replaced not in ("", release)
    step = failed.get("failed_step")
    cause = str(failed.get("output") or failed.get("stderr") or failed.get("msg") or "").strip()
    # A traceback says what went wrong at its end.
    cause = cause if len(cause) <= 1500 else "..." + cause[-1500:]
    failed_at = step or context["failed_task"]
    how = {
        "check": "failed its health check",
        # The handover stops a new gunicorn that fails before the serving one stops.
        "handover": "did not start, and the gunicorn serving before went on",
    }.get(step, f'failed at "{failed_at}"')
    what = "" if switching else " with the new configuration"
    parts = [f"Release {release}{what} {how} ({cause})."]
    errors = _last_errors(context.get("log") or [])
    if errors and step in APP_STEPS:
        parts.append(f"The app logged: {' / '.join(errors)}.")
    restored = list(context.get("restored") or [])
    # Without a failed step of guarded_change's, the failure came before the restart (the
    # migration): the release links were only staged, and the old release kept serving.
    if step and context["current"] in restored:
        parts.append(f"Switched back to release {replaced}.")
    elif switching:
        parts.append(f"Release {replaced} kept serving.")
    elif replaced == "":
        parts.append("There was no earlier release to switch back to.")
    if restored:
        parts.append(f"Restored {', '.join(restored)}.")
    if context.get("backup"):
        parts.append(f"The database was backed up before the migration: {context['backup']}.")
    healthy = failed.get("recovered")
    if healthy is None:
        healthy = context.get("healthy")
    parts.append(
        "The app serves again."
        if healthy
        else f"The app does NOT answer its health check now: see journalctl -u {context['name']}."
    )
    return " ".join(parts)


class FilterModule:
    def filters(self):
        return {"flaskapp_switch_failure": flaskapp_switch_failure}
