"""The nginx role's ACME decisions: which sites ask the CA, and what a failure says."""

import base64

import pytest
from library import role_module

acme = role_module("nginx", "acme", kind="filter_plugins")

DIRECTORY = "https://acme.example/directory"
HOOK = "/usr/local/sbin/flaskstack-acme-install"
SITE = {
    "name": "notes",
    "server_names": ["notes.example", "www.notes.example"],
    "tls": {"key_type": "ecdsa"},
}


def renewal(server=DIRECTORY, key_type="ecdsa", hook=HOOK) -> dict:
    """A slurped /etc/letsencrypt/renewal/SITE.conf, as certbot writes it."""
    text = (
        f"version = 2.1.0\n[renewalparams]\nserver = {server}\n"
        f"key_type = {key_type}\nrenew_hook = {hook}\n"
    )
    return {"content": base64.b64encode(text.encode()).decode()}


def certificate(*names, expired=False) -> dict:
    """community.crypto.x509_certificate_info's result for a certificate for NAMES."""
    return {"subject_alt_name": [f"DNS:{name}" for name in names], "expired": expired}


VALID = certificate("www.notes.example", "NOTES.example")


def reasons(cert, conf) -> list[str]:
    return [want["reason"] for want in acme.acme_requests([SITE], [cert], [conf], DIRECTORY, HOOK)]


def test_a_valid_certificate_for_the_same_names_asks_nothing():
    assert reasons(VALID, renewal()) == []


@pytest.mark.parametrize(
    ("cert", "conf"),
    [
        ({"failed": False, "msg": "no such file"}, renewal()),
        (VALID, {"failed": True, "msg": "file not found"}),
    ],
    ids=["no-certificate", "no-renewal-configuration"],
)
def test_a_site_without_a_certificate_asks_for_its_first(cert, conf):
    assert reasons(cert, conf) == [acme.FIRST_REQUEST]


@pytest.mark.parametrize(
    ("cert", "conf", "why"),
    [
        (certificate("notes.example"), renewal(), "its certificate is for notes.example"),
        (VALID, renewal(server="https://staging.example/dir"), "from https://staging.example/dir"),
        (VALID, renewal(key_type="rsa"), "its key is rsa"),
        (VALID, renewal(hook="/bin/true"), "its renewals would not reach nginx"),
        (certificate("notes.example", "www.notes.example", expired=True), renewal(), "expired"),
    ],
    ids=["other-names", "other-ca", "other-key-type", "other-hook", "expired"],
)
def test_each_difference_asks_again_and_says_why(cert, conf, why):
    (reason,) = reasons(cert, conf)
    assert why in reason


def test_several_differences_are_all_named():
    (reason,) = reasons(certificate("notes.example"), renewal(key_type="rsa"))
    assert reason.count(";") == 1


def failed(reason, stdout="", rc=1) -> dict:
    return {"rc": rc, "stdout": stdout, "stderr": "", "item": {"site": SITE, "reason": reason}}


def test_a_failure_names_the_site_the_names_and_the_cas_reason():
    output = (
        "Certbot failed to authenticate some domains (authenticator: webroot).\n"
        "  Domain: notes.example\n  Type:   dns\n  Detail: no valid A records found\n"
    )
    (message,) = acme.acme_failures([failed(acme.FIRST_REQUEST, output)], {"rc": 0}, DIRECTORY)
    assert message.startswith("nginx_sites item 'notes': the ACME CA at " + DIRECTORY)
    assert "notes.example, www.notes.example" in message
    assert "Detail: no valid A records found" in message
    assert "temporary self-signed" in message


def test_a_failed_renewal_keeps_the_current_certificate_and_falls_back_to_the_last_lines():
    (message,) = acme.acme_failures(
        [failed("its certificate expired", "a\nb\n- - - -\nconnection refused\n")],
        {"rc": 0},
        DIRECTORY,
    )
    assert "b connection refused" in message
    assert message.endswith("nginx keeps serving its current certificate.")


def test_successes_say_nothing_and_an_install_failure_is_reported():
    ok = failed(acme.FIRST_REQUEST, rc=0)
    assert acme.acme_failures([ok], {"rc": 0}, DIRECTORY) == []
    assert acme.acme_failures([ok], {"rc": 1, "stderr": "nginx -t failed"}, DIRECTORY) == [
        "nginx -t failed"
    ]
