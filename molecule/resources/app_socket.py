"""Requests to one app host's own gunicorn, through its unix socket, bypassing nginx.

The fleet's app hosts run no nginx and publish no port: to ask one of them what it serves
(its release, its health, a note), the request is sent from inside the host, where the
unix socket that nginx uses on a one-host layout is open to root.
"""

from __future__ import annotations

import json

from playbook_run import app_name, instance
from stack_http import Response

# Run on the app host with the host's own python3: argv[1] socket, argv[2] method,
# argv[3] path, argv[4] JSON body ("" for none). Prints the status, a newline, the body.
_SOCKET_REQUEST = """
import http.client, socket, sys

class UnixConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(self.timeout)
        self.sock.connect(sys.argv[1])

connection = UnixConnection("localhost", timeout=10)
body = sys.argv[4].encode() or None
headers = {"Content-Type": "application/json"} if body else {}
connection.request(sys.argv[2], sys.argv[3], body=body, headers=headers)
reply = connection.getresponse()
sys.stdout.write(str(reply.status) + "\\n" + reply.read().decode())
"""


def app_request(container: str, path: str, *, method: str = "GET", payload=None) -> Response:
    """Send one request to CONTAINER's app through its unix socket and read the response."""
    body = "" if payload is None else json.dumps(payload)
    out = instance(container).check_output(
        "python3 -c %s %s %s %s %s", _SOCKET_REQUEST, f"/run/{app_name()}.sock", method, path, body
    )
    status, _, text = out.partition("\n")
    return Response(int(status), {}, text.encode())
