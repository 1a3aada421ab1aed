"""Each web host serves each ACME site with a certificate from the CA, for every server
name and with the key the site chose; nginx answers the CA's challenges over plain HTTP,
for itself and for the other web host; certbot's timer renews on the host."""

import uuid

import pytest
from acme_ca import served_certificate, verified_handshake
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from playbook_run import instance
from stack_http import request

testinfra_hosts = ["ansible://web"]
CHALLENGES = "/var/lib/flaskstack/acme/.well-known/acme-challenge"


@pytest.mark.parametrize("site", ["notes", "legacy"])
def test_certificate_chains_to_the_ca_and_covers_every_name(container, sites, ca_root, site):
    for name in sites[site]:
        # Raises unless the chain ends at pebble's root and the certificate names NAME.
        verified_handshake(container, name, ca_root)


@pytest.mark.parametrize(
    ("name", "key_type", "size"),
    [("notes.test", ec.EllipticCurvePublicKey, 256), ("legacy.test", rsa.RSAPublicKey, 2048)],
)
def test_key_type_is_the_sites_choice(container, name, key_type, size):
    key = x509.load_der_x509_certificate(served_certificate(container, name)).public_key()
    assert isinstance(key, key_type)
    assert key.key_size == size


def test_only_the_tests_trust_the_ca(host, ca_root):
    live = "/etc/letsencrypt/live/notes"
    verify = f"openssl verify -untrusted {live}/chain.pem {live}/cert.pem"
    # The host's own trust store does not know pebble's root...
    untrusted = host.run(verify.replace("verify", "verify -CApath /etc/ssl/certs", 1))
    assert untrusted.rc != 0
    assert "unable to get" in untrusted.stdout + untrusted.stderr
    # ...though the chain is sound: it ends at that root.
    root = f"/tmp/pebble-root-{uuid.uuid4()}.pem"
    host.run_expect([0], f"printf '%%s' %s > {root}", ca_root.read_text())
    try:
        assert host.run(verify.replace("verify", f"verify -CAfile {root}", 1)).rc == 0
    finally:
        host.run(f"rm -f {root}")


def test_key_readable_by_root_only(host):
    for path in ("/etc/nginx/tls/notes.key", "/etc/nginx/tls/legacy.key"):
        key = host.file(path)
        assert (key.user, key.group, key.mode) == ("root", "root", 0o600)


def test_renewal_timer_enabled_and_reporting_to_the_journal(host):
    timer = host.service("certbot.timer")
    assert timer.is_enabled
    assert timer.is_running
    unit = host.service("certbot.service").systemd_properties
    assert "certbot renew" in unit["ExecStart"]
    assert " -q " not in unit["ExecStart"]
    assert "flaskstack-acme-install" in unit["ExecStopPost"]
    assert "REQUESTS_CA_BUNDLE=/etc/letsencrypt/flaskstack-directory-ca.pem" in unit["Environment"]


def test_challenge_answered_over_http_before_the_redirect(host, container):
    token = f"probe-{uuid.uuid4()}"
    host.run_expect(
        [0], "mkdir -p %s && printf answer-%s > %s/%s", CHALLENGES, token, CHALLENGES, token
    )
    try:
        reply = request(container, f"/.well-known/acme-challenge/{token}", scheme="http")
    finally:
        host.run(f"rm -f {CHALLENGES}/{token}")
    assert (reply.status, reply.text) == (200, f"answer-{token}")
    assert request(container, "/", scheme="http").status == 301


def test_challenge_held_by_the_other_web_host_is_answered(web_hosts):
    # The CA's queries for every name reach one web host; the other one's answers must too.
    first, second = web_hosts
    token = f"probe-{uuid.uuid4()}"
    holder = instance(second)
    holder.run_expect([0], "printf answer-%s > %s/%s", token, CHALLENGES, token)
    try:
        forwarded = request(first, f"/.well-known/acme-challenge/{token}", scheme="http")
        unknown = request(first, f"/.well-known/acme-challenge/{token}-nowhere", scheme="http")
    finally:
        holder.run(f"rm -f {CHALLENGES}/{token}")
    assert (forwarded.status, forwarded.text) == (200, f"answer-{token}")
    # Asked of the other host once, not passed back and forth.
    assert unknown.status == 404
    log = instance(second).check_output(
        "grep -c -- %s-nowhere /var/log/nginx/access.log || true", token
    )
    assert int(log) == 1
