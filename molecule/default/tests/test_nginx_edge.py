"""What nginx shows the outside world: TLS, HTTP/2, headers, limits, unknown hosts."""

import http.client
import re
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from stack_http import published_port, request, tls_handshake
from tls_probe import client_context, handshake_with_permissive_server

V = ssl.TLSVersion
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "strict-transport-security": "max-age=63072000",
}


@pytest.mark.parametrize(("version", "name"), [(V.TLSv1_2, "TLSv1.2"), (V.TLSv1_3, "TLSv1.3")])
def test_modern_tls_versions_negotiate(container, version, name):
    assert tls_handshake(container, client_context(version))[0] == name


@pytest.mark.parametrize("version", [V.TLSv1, V.TLSv1_1], ids=["TLSv1.0", "TLSv1.1"])
def test_old_tls_versions_refused(container, version):
    probe = client_context(version)
    # The probe can speak this version (to a server that allows it)...
    assert handshake_with_permissive_server(probe)[0] in {"TLSv1", "TLSv1.1"}
    # ...and nginx refuses it.
    with pytest.raises(ssl.SSLError):
        tls_handshake(container, probe)


@pytest.mark.parametrize(
    "cipher", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256"]
)
def test_weak_tls12_ciphers_refused(container, cipher):
    probe = client_context(V.TLSv1_2, ciphers=cipher)
    assert handshake_with_permissive_server(probe)[1] == cipher
    with pytest.raises(ssl.SSLError):
        tls_handshake(container, probe)


@pytest.mark.parametrize(
    "cipher", ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"]
)
def test_mozilla_intermediate_ciphers_accepted(container, cipher):
    assert tls_handshake(container, client_context(V.TLSv1_2, ciphers=cipher))[1] == cipher


@pytest.mark.parametrize(
    ("offered", "picked"),
    [
        # The server's order, not the client's: AES-128-GCM before AES-256-GCM.
        (
            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ),
        (
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ),
        # A client that lists ChaCha20 first (no AES hardware) gets it.
        (
            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
        ),
    ],
)
def test_tls12_server_orders_the_ciphers(container, offered, picked):
    assert tls_handshake(container, client_context(V.TLSv1_2, ciphers=offered))[1] == picked


@pytest.mark.parametrize(
    ("offered", "picked"),
    [
        ("TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
        ("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"),
    ],
)
def test_tls13_server_orders_the_ciphers(host, offered, picked):
    # Python cannot order TLS 1.3 suites: OpenSSL's client on the host can.
    out = host.check_output(
        "openssl s_client -connect localhost:443 -servername notes.test -tls1_3 -ciphersuites %s"
        " < /dev/null 2>&1",
        offered,
    )
    assert re.search(r"Cipher is (\S+)", out).group(1) == picked


def test_app_pages_not_compressed(container):
    # BREACH: a compressed page reflecting input beside a secret leaks the secret.
    page = request(container, "/", headers={"Accept-Encoding": "gzip"})
    assert page.status == 200
    assert "content-encoding" not in page.headers


def test_http2_offered(container):
    # nginx 1.22 (Debian 12) and 1.26 (Debian 13) spell this differently in their config.
    raw = socket.create_connection(("127.0.0.1", published_port(container, 443)), 10)
    with client_context(V.TLSv1_3, alpn=["h2", "http/1.1"]).wrap_socket(
        raw, server_hostname="notes.test"
    ) as tls:
        assert tls.selected_alpn_protocol() == "h2"


def test_post_quantum_group_only_on_debian_13(host):
    # Debian 13's OpenSSL 3.5 offers X25519MLKEM768; Debian 12's OpenSSL 3.0 does not.
    configured = host.file("/etc/nginx/nginx.conf").contains("X25519MLKEM768")
    assert configured == host.system_info.release.startswith("13")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/static/style.css", 200),
        ("/static/missing.css", 404),
        ("/api/notes/999999", 404),
    ],
)
def test_security_headers_on_every_response(container, path, status):
    reply = request(container, path)
    assert reply.status == status
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers.get(name) == value, name
    assert "default-src 'self'" in reply.headers["content-security-policy"]


def test_server_version_hidden(container):
    assert request(container, "/healthz").headers["server"] == "nginx"


def test_versioned_static_files_cached_for_a_year(container):
    reply = request(container, "/static/style.css?v=1.0.0-abc")
    assert reply.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_static_text_compressed(container):
    reply = request(container, "/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert reply.headers.get("content-encoding") == "gzip"


def test_unknown_host_gets_no_http_response(container):
    with pytest.raises(http.client.RemoteDisconnected):
        request(container, "/", scheme="http", server_name="unknown.example")


def test_unknown_host_gets_no_tls_handshake(container):
    with pytest.raises(ssl.SSLError):
        tls_handshake(container, client_context(V.TLSv1_3), server_name="unknown.example")


def test_oversized_body_refused_by_nginx(container):
    reply = request(
        container,
        "/api/notes",
        method="POST",
        body=b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 413
    assert reply.headers["strict-transport-security"] == "max-age=63072000"


def test_access_log_records_request_and_upstream_time(host, container):
    request(container, "/healthz", headers={"User-Agent": "access-log-probe"})
    line = host.check_output("grep access-log-probe /var/log/nginx/access.log | tail -n 1")
    assert " rt=" in line
    assert " urt=" in line


def test_logs_are_rotated(host):
    assert host.run("logrotate --debug /etc/logrotate.d/nginx").rc == 0
    assert host.file("/etc/logrotate.d/nginx").contains("rotate 14")


@pytest.fixture
def full_rate_allowance():
    """Start with the client's burst allowance refilled, and refill it again afterwards, so
    that neither this test nor the next one sees 429s caused by another test's requests."""
    # nginx_rate_limit_burst (20) refills at nginx_rate_limit (10 r/s): 2 s; wait a little more.
    time.sleep(3)
    yield
    time.sleep(3)


def test_request_burst_over_the_rate_gets_429(container, full_rate_allowance):
    # 100 requests, 25 at a time: far above 10 r/s even on a slow machine.
    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(lambda _: request(container, "/healthz").status, range(100)))
    assert statuses.count(200) >= 20  # the burst allowance is served
    assert statuses.count(429) > 0
    assert set(statuses) <= {200, 429}
