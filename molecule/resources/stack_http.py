"""Real HTTP(S) requests to a Molecule instance, through the ports Docker published.

Each instance publishes nginx's ports 80 and 443 on 127.0.0.1 at ports Docker picks at
run time. Requests go there with the site's name in the Host header and in TLS SNI,
exactly as a browser's would, so nginx picks the same server block it picks in production.
"""

from __future__ import annotations

import functools
import http.client
import json
import socket
import ssl
import subprocess
from dataclasses import dataclass


@functools.cache
def published_port(container: str, port: int) -> int:
    """Host port on 127.0.0.1 that Docker maps to the container's port. Asked once per
    container and port: the load tests send hundreds of requests a second, and a container
    keeps its ports until it is removed (the tests never restart one that publishes any)."""
    out = subprocess.run(
        ["docker", "port", container, f"{port}/tcp"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out.splitlines()[0].rsplit(":", 1)[1])


@functools.cache
def insecure_context() -> ssl.SSLContext:
    """A client context that accepts the self-signed test certificate. One for the whole
    run, shared by every request (wrapping a socket leaves it as it was; no caller changes
    it): making one reads the system's CA bundle, about 30 ms of CPU, several times what
    the request itself costs the client, and the load tests send dozens a second."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class _SNIConnection(http.client.HTTPSConnection):
    """Connect to 127.0.0.1 but present server_name in SNI, like a browser would."""

    def __init__(self, port: int, server_name: str, context: ssl.SSLContext, timeout: float):
        super().__init__("127.0.0.1", port, context=context, timeout=timeout)
        self._server_name = server_name

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self._server_name)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(
    container: str,
    path: str,
    *,
    server_name: str = "notes.test",
    scheme: str = "https",
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    context: ssl.SSLContext | None = None,
    timeout: float = 10,
) -> Response:
    """Send one request to the instance's nginx and read the whole response."""
    if scheme == "https":
        port = published_port(container, 443)
        conn: http.client.HTTPConnection = _SNIConnection(
            port, server_name, context or insecure_context(), timeout
        )
    else:
        conn = http.client.HTTPConnection(
            "127.0.0.1", published_port(container, 80), timeout=timeout
        )
    try:
        conn.request(method, path, body=body, headers={"Host": server_name, **(headers or {})})
        reply = conn.getresponse()
        return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read())
    finally:
        conn.close()


def tls_handshake(container: str, context: ssl.SSLContext, server_name: str = "notes.test"):
    """Complete a TLS handshake and return (protocol, cipher); raises ssl.SSLError if refused."""
    raw = socket.create_connection(("127.0.0.1", published_port(container, 443)), 10)
    with context.wrap_socket(raw, server_hostname=server_name) as tls:
        return tls.version(), tls.cipher()[0]


def send_json(container: str, path: str, payload, method: str = "POST", **kwargs) -> Response:
    """Send a JSON document (POST, PATCH), as the reference app's page does."""
    return request(
        container,
        path,
        method=method,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        **kwargs,
    )


def post_json(container: str, path: str, payload, **kwargs) -> Response:
    """POST a JSON document."""
    return send_json(container, path, payload, **kwargs)
