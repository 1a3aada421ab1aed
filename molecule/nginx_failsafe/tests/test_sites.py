"""Two sites on one host: the operator's own certificate, the modern TLS profile,
and variables nginx's role rejects before anything on the host changes."""

import os
import socket
import ssl
from pathlib import Path

from playbook_run import instance, run_playbook, scenario_hosts
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


def _nginx_conf_checksums() -> dict[str, str]:
    return {
        name: instance(name).file("/etc/nginx/nginx.conf").sha256sum for name in scenario_hosts()
    }


# The next two run the play against every instance at once, so they take no `host`.
def test_wrong_variable_type_fails_naming_it_and_changes_nothing():
    before = _nginx_conf_checksums()
    run = run_playbook("playbooks/provision.yml", extra_vars={"nginx_tls_profile": "ancient"})
    assert run.rc != 0
    assert "nginx_tls_profile" in run.output
    assert "ancient" in run.output
    assert all(counts["changed"] == 0 for counts in run.recap().values())
    assert _nginx_conf_checksums() == before


def test_malformed_site_fails_naming_it():
    before = _nginx_conf_checksums()
    site = {"name": "Bad Name", "server_names": ["bad.test"], "upstream": {}}
    run = run_playbook("playbooks/provision.yml", extra_vars={"nginx_sites": [site]})
    assert run.rc != 0
    assert "nginx_sites item 'Bad Name'" in run.output
    assert all(counts["changed"] == 0 for counts in run.recap().values())
    assert _nginx_conf_checksums() == before
