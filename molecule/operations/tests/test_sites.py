"""Two sites on one host: the operator's own certificate and the modern TLS profile,
and the app deployed under another name (flaskapp_name) with nginx following it."""

import os
import socket
import ssl
from pathlib import Path

from stack_http import published_port, request, tls_handshake
from tls_probe import client_context, handshake_with_permissive_server

V = ssl.TLSVersion
OWN_CERT = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "tls/own.test.crt"


def test_modern_profile_refuses_tls12(container):
    probe = client_context(V.TLSv1_2)
    assert handshake_with_permissive_server(probe)[0] == "TLSv1.2"
    try:
        tls_handshake(container, probe)
    except ssl.SSLError:
        pass
    else:
        raise AssertionError("TLS 1.2 negotiated under the modern profile")
    assert tls_handshake(container, client_context(V.TLSv1_3))[0] == "TLSv1.3"


def test_second_site_serves_the_operators_certificate(container):
    raw = socket.create_connection(("127.0.0.1", published_port(container, 443)), 10)
    with client_context(V.TLSv1_3).wrap_socket(raw, server_hostname="own.test") as tls:
        served = tls.getpeercert(binary_form=True)
    assert served == ssl.PEM_cert_to_DER_cert(OWN_CERT.read_text())


def test_second_site_proxies_to_the_app(container):
    assert request(container, "/healthz", server_name="own.test").status == 200


def test_operators_key_readable_by_root_only(host):
    key = host.file("/etc/nginx/tls/own.key")
    assert (key.user, key.group, key.mode) == ("root", "root", 0o600)
    assert host.file("/etc/nginx/tls").mode == 0o750


def test_renamed_app_runs_under_its_own_name(host, app_name):
    assert app_name != "flaskapp", "this scenario deploys the app under another name"
    for unit in (f"{app_name}.socket", f"{app_name}.service"):
        assert host.service(unit).is_running
    assert host.file(f"/run/{app_name}.sock").is_socket
    assert host.file(f"/srv/{app_name}/current").is_symlink
    assert host.file(f"/etc/{app_name}/environment").exists
    assert not host.file("/etc/systemd/system/flaskapp.service").exists


def test_both_sites_follow_the_renamed_app(host, container, app_name):
    for site in ("notes", "own"):
        # Each site's app servers are in its own file.
        servers = host.file(f"/etc/nginx/sites-available/{site}.conf")
        assert servers.contains(f"server unix:/run/{app_name}.sock;")
    assert request(container, "/static/style.css").status == 200
