"""HTTP load from the load generator's container, with wrk (Debian's package).

wrk keeps its connections open (keep-alive) and reports requests per second and the
latency distribution; parse_wrk() reads its report (tests/test_bench.py feeds it samples).
"""

from __future__ import annotations

import re

from hosts import CLIENT, exec_

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    """{rps, requests, errors, p50_ms, p99_ms} from wrk's report (run with --latency)."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.M)
    requests = re.search(r"^\s*([0-9]+) requests in", output, re.M)
    if not rps or not requests:
        raise ValueError(f"not a wrk report: {output[-500:]}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) ([0-9]+)", output))
    bad = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", output)
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+([0-9.]+[a-z]+)", output, re.M))
    return {
        "rps": float(rps.group(1)),
        "requests": int(requests.group(1)),
        "errors": errors + (int(bad.group(1)) if bad else 0),
        "p50_ms": _ms(percentiles["50"]) if "50" in percentiles else None,
        "p99_ms": _ms(percentiles["99"]) if "99" in percentiles else None,
    }


def wrk(url: str, seconds: float, connections: int, header: str | None = None) -> dict:
    """One wrk run from the client's CPU: one thread, `connections` kept open."""
    argv = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    if header:
        argv += ["--header", header]
    result = parse_wrk(exec_(CLIENT, *argv, url))
    if result["errors"]:
        raise RuntimeError(f"{url}: {result['errors']} failed requests under load")
    return result
