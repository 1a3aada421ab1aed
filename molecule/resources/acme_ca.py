"""The acme scenario's CA seen from the tests: pebble's root, its DNS helper, what it was
asked; the certificate nginx serves; a renewal made due and run as certbot's timer runs it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import ssl
import time
from pathlib import Path

from playbook_run import instance
from stack_http import insecure_context, published_port

# pebble's management API and its DNS helper's, reachable from inside its container only.
PEBBLE_ROOT = "curl -sf --cacert /etc/pebble/directory-ca.pem https://localhost:15000/roots/0"
DNS_API = "http://127.0.0.1:8055"


def address(container: str) -> str:
    """A container's address on the scenario's network."""
    return instance(container).check_output("hostname -I").split()[0]


def served_certificate(container: str, server_name: str) -> bytes:
    """The certificate (DER) nginx presents for SERVER_NAME, trusted or not."""
    raw = socket.create_connection(("127.0.0.1", published_port(container, 443)), 10)
    with insecure_context().wrap_socket(raw, server_hostname=server_name) as tls:
        return tls.getpeercert(binary_form=True)


def fingerprint(container: str, server_name: str) -> str:
    return hashlib.sha256(served_certificate(container, server_name)).hexdigest()


def fingerprint_once_changed(container: str, server_name: str, before: str, seconds=30) -> str:
    """The served certificate's fingerprint as soon as it differs from BEFORE, or after
    SECONDS: nginx reloads asynchronously, its old workers may take a new connection first."""
    deadline = time.monotonic() + seconds
    while (now := fingerprint(container, server_name)) == before and time.monotonic() < deadline:
        time.sleep(0.5)
    return now


def verified_handshake(container: str, server_name: str, root: Path) -> dict:
    """A handshake trusting pebble's root alone and checking the name; raises if either fails."""
    context = ssl.create_default_context(cafile=str(root))
    raw = socket.create_connection(("127.0.0.1", published_port(container, 443)), 10)
    with context.wrap_socket(raw, server_hostname=server_name) as tls:
        return tls.getpeercert()


def set_dns(ca, names: list[str], target: str | None) -> None:
    """Make NAMES resolve to the container TARGET for the CA, or not at all (None)."""
    for name in names:
        if target is None:
            body, action = {"host": f"{name}."}, "clear-a"
        else:
            body, action = {"host": f"{name}.", "addresses": [address(target)]}, "add-a"
        ca.run_expect([0], "curl -sf -X POST -d %s %s", json.dumps(body), f"{DNS_API}/{action}")


def pebble_requests(ca) -> int:
    """How many ACME requests pebble has answered since it started."""
    log = ca.check_output("journalctl -u pebble.service -o cat --no-pager")
    return log.count("-> calling handler()")


@contextlib.contextmanager
def renewal_due(host, *sites: str):
    """Within the block, certbot on HOST finds these sites' certificates due, as it will 60
    days after they were issued (pebble issues them for 90 days, as Let's Encrypt does)."""
    for site in sites:
        host.run_expect(
            [0], "sed -i '1i renew_before_expiry = 90 days' /etc/letsencrypt/renewal/%s.conf", site
        )
    try:
        yield
    finally:
        for site in sites:
            host.run_expect(
                [0],
                "sed -i '/^renew_before_expiry = 90 days$/d' /etc/letsencrypt/renewal/%s.conf",
                site,
            )


def run_renewal(host):
    """Start certbot.service as its timer does; its result and what it wrote to the journal."""
    host.run("systemctl reset-failed certbot.service")
    cursor = host.check_output("journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p'")
    result = host.run("systemctl start certbot.service")
    journal = host.check_output(
        "journalctl -u certbot.service --after-cursor %s -o cat --no-pager", cursor
    )
    return result, journal
