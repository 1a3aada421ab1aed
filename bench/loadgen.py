"""A steady load at a fixed rate, for deploy_p99_ratio. Runs in the load generator's
container with Debian's python3 and nothing else (bench/fleet.py copies it there):

    python3 loadgen.py HOST RATE MAX_SECONDS OUT PATH [PATH ...]

Requests go to https://HOST:443/PATH in turn, RATE per second in all, from 8 threads that
keep their connections open. Each request has its moment on a fixed schedule, and its
latency counts from that moment: a request held up by a slow one before it is counted
late, not skipped (no coordinated omission). One line per request in OUT:
[scheduled start (epoch seconds), latency (seconds), status or error name, path, retried].
Stops on SIGTERM or SIGINT, or after MAX_SECONDS at the latest.

A kept-alive connection that the server closed while it was idle (nginx's old workers do
so on every reload) fails the next request before any answer. Browsers and HTTP client
libraries send such a GET again on a new connection (RFC 9112, 9.3.1), and so does this
load, once; the request counts from its first moment and is marked as retried.
"""

import http.client
import json
import os
import signal
import ssl
import sys
import threading
import time

WORKERS = 8
CLOSED_WHILE_IDLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def main() -> None:
    host, rate, max_seconds, out, *paths = sys.argv[1:]
    rate, deadline = float(rate), time.time() + float(max_seconds)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # The sites' certificates are self-signed: the load checks answers, not trust.
    context = ssl._create_unverified_context()
    lock = threading.Lock()
    counter = iter(range(10**9))
    begin = time.time()
    lines: list[str] = []

    def worker() -> None:
        connection = None
        while not stop.is_set():
            with lock:
                k = next(counter)
            scheduled = begin + k / rate
            if scheduled > deadline:
                return
            delay = scheduled - time.time()
            if delay > 0 and stop.wait(delay):
                return
            path = paths[k % len(paths)]
            retried = False
            for attempt in (1, 2):
                reused = connection is not None
                try:
                    if connection is None:
                        connection = http.client.HTTPSConnection(
                            host, 443, timeout=10, context=context
                        )
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                    status = str(response.status)
                    if response.getheader("Connection", "").lower() == "close":
                        connection.close()
                        connection = None
                    break
                except Exception as error:  # every kind of failure counts
                    status = type(error).__name__
                    if connection is not None:
                        connection.close()
                    connection = None
                    closed_while_idle = isinstance(error, CLOSED_WHILE_IDLE)
                    if not (reused and closed_while_idle and attempt == 1):
                        break
                    retried = True
            line = json.dumps([scheduled, time.time() - scheduled, status, path, retried])
            with lock:
                lines.append(line)

    with open(out + ".pid", "w") as handle:
        handle.write(str(os.getpid()))
    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(out, "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
