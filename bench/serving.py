"""static_ratio and dynamic_ratio: what nginx in front costs or saves, on the single host.

The same file (/static/style.css) and the same light dynamic request (a page of 20 notes
from the notes API: the app's code and a read of its SQLite database, which writes
nothing) are asked of nginx over HTTPS, of nginx over plain HTTP, and of gunicorn
directly on its private address. Not /healthz: it writes to SQLite to prove the storage
writable, and that disk write moves its rate by up to 45 % from run to run, more than the
margin of the target. Each run measures the three side by side, in alternating order, and
each ratio is taken within a run. The latency nginx adds is measured on the same dynamic
request with one connection (no queueing): the difference of the median (p50) and of the
p99 between nginx over HTTP and gunicorn.
"""

from __future__ import annotations

from hosts import CLIENT, address, exec_
from httpload import wrk
from stats import ratios, summary

STATIC = "/static/style.css"
# GET /api/notes only reads (app/notesapp/api.py: list_notes); the page holds NOTES notes.
NOTES = 20
DYNAMIC = f"/api/notes?limit={NOTES}"


def _urls(single: str, path: str) -> dict[str, str]:
    return {
        "nginx_https": f"https://bench.test:443{path}",
        "nginx_http": f"http://plain.bench.test:80{path}",
        "gunicorn": f"http://{address(single)}:8000{path}",
    }


def measure(single: str, runs: int, seconds: float, connections: int = 16) -> dict:
    _add_notes(NOTES)
    figures = {"serving_paths": {"static": STATIC, "dynamic": DYNAMIC}}
    for kind, path in (("static", STATIC), ("dynamic", DYNAMIC)):
        urls = _urls(single, path)
        for url in urls.values():
            _warm_up(url, connections)
        rps: dict[str, list[float]] = {name: [] for name in urls}
        for i in range(runs):
            order = list(urls) if i % 2 == 0 else list(reversed(urls))
            for name in order:
                rps[name].append(wrk(urls[name], seconds, connections)["rps"])
        figures[f"{kind}_rps"] = {name: summary(values) for name, values in rps.items()}
        figures[f"{kind}_ratio"] = {
            scheme: summary(ratios(rps[f"nginx_{scheme}"], rps["gunicorn"]))
            for scheme in ("http", "https")
        }
    figures["nginx_added_latency_ms"] = _added_latency(single, runs, seconds)
    return figures


# Run with the client's python3: add N notes through nginx, then print how many the page lists.
_ADD_NOTES = """
import http.client, json, ssl, sys
count = int(sys.argv[1])
site = http.client.HTTPSConnection("bench.test", 443, context=ssl._create_unverified_context())
for i in range(count):
    note = json.dumps({"title": f"Bench note {i}", "body": "A note the bench reads. " * 8})
    site.request("POST", "/api/notes", note, {"Content-Type": "application/json"})
    answer = site.getresponse()
    answer.read()
    assert answer.status == 201, answer.status
site.request("GET", f"/api/notes?limit={count}")
print(len(json.loads(site.getresponse().read())["notes"]))
"""


def _add_notes(count: int) -> None:
    """Fill the page the dynamic figures read, through nginx as a user adds notes, before
    anything is measured: no measured request writes."""
    listed = int(exec_(CLIENT, "python3", "-c", _ADD_NOTES, str(count)))
    if listed != count:
        raise RuntimeError(f"{DYNAMIC}: {listed} notes listed, {count} expected")


def _warm_up(url: str, connections: int, tries: int = 10) -> None:
    """Load URL until it answers: connections, caches, and gunicorn's workers, which
    socket activation may still be starting (a run that answers nothing has no ratio)."""
    for _ in range(tries):
        if wrk(url, 1, connections)["requests"] > 0:
            return
    raise RuntimeError(f"{url}: no answer within {tries} s of load")


def _added_latency(single: str, runs: int, seconds: float) -> dict:
    urls = _urls(single, DYNAMIC)
    added: dict[str, list[float]] = {"p50": [], "p99": []}
    for i in range(runs):
        pair = ["nginx_http", "gunicorn"] if i % 2 == 0 else ["gunicorn", "nginx_http"]
        result = {name: wrk(urls[name], seconds, 1) for name in pair}
        for q in ("p50", "p99"):
            added[q].append(result["nginx_http"][f"{q}_ms"] - result["gunicorn"][f"{q}_ms"])
    return {q: summary(values) for q, values in added.items()}
