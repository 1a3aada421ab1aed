"""A steady load at a fixed rate, for the deploy figures. Runs in the load generator's
container with Debian's python3 and nothing else (bench/fleet.py copies it there):

    python3 loadgen.py HOST RATE MAX_SECONDS OUT PATH [PATH ...]

Requests go to https://HOST:443/PATH in turn, RATE per second in all, from 8 threads that
keep their connections open. Each request has its moment on a fixed schedule, and its
latency counts from that moment: a request held up by a slow one before it is counted
late, not skipped (no coordinated omission). One line per request in OUT:
[scheduled start (epoch seconds), latency (seconds), status or error name, path].
Stops on SIGTERM or SIGINT, or after MAX_SECONDS at the latest.

Each request is sent once. A connection error, a timeout, or an answer other than 2xx or
3xx is that request's result, and the reader counts it as failed (fleet.windows): sending
it again would hide exactly the failures a deploy causes, such as a kept-alive connection
that nginx's old workers close at a reload just as a request goes out. After an error
the thread opens a new connection for its next request.
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
            try:
                if connection is None:
                    connection = http.client.HTTPSConnection(host, 443, timeout=10, context=context)
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = str(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except Exception as error:  # every kind of failure is a result, never retried
                status = type(error).__name__
                if connection is not None:
                    connection.close()
                connection = None
            line = json.dumps([scheduled, time.time() - scheduled, status, path])
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
