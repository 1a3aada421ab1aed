"""Which self-signed certificates a run must make again (roles/common/library/selfsigned_due.py):
each made as tasks/selfsigned_certificate.yml makes it is due again only when what it is
for changes, and never when it is kept whatever it is for."""

import datetime
import grp
import ipaddress
import os
import pwd

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from library import role_module

selfsigned = role_module("common", "selfsigned_due")


def make(tmp_path, names, key=None, name="site"):
    """A key and a certificate for NAMES, as community.crypto makes them; returns the entry."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    key_path, cert_path = tmp_path / f"{name}.key", tmp_path / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    alternative = [
        x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() or ":" in n else x509.DNSName(n)
        for n in names
    ]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    os.chmod(key_path, 0o600)
    os.chmod(cert_path, 0o644)
    return {"key": str(key_path), "certificate": str(cert_path), "names": list(names)}


def _me():
    return pwd.getpwuid(os.getuid()).pw_name


def reasons(*wanted):
    return selfsigned.due(list(wanted), owner=_me())["reasons"]


@pytest.fixture(autouse=True)
def _group_named_like_the_user():
    # The module takes one name for user and group, as the roles pass it (root, postgres).
    try:
        grp.getgrnam(_me())
    except KeyError:
        pytest.skip("the test user has no group of the same name")


NAMES = ["notes.test", "www.notes.test"]


def test_a_certificate_made_for_its_names_is_not_due(tmp_path):
    assert reasons(make(tmp_path, NAMES)) == {}


def test_the_same_names_in_another_order_after_the_first_are_not_a_change(tmp_path):
    entry = make(tmp_path, ["notes.test", "a.test", "b.test"])
    assert reasons({**entry, "names": ["notes.test", "b.test", "a.test"]}) == {}


def test_addresses_are_compared_as_addresses(tmp_path):
    entry = make(tmp_path, ["10.0.0.5", "2001:db8::1", "db1"])
    assert reasons({**entry, "names": ["10.0.0.5", "2001:DB8:0::1", "db1"]}) == {}


def test_nothing_there_is_due_and_names_the_directory_to_make(tmp_path):
    missing = tmp_path / "tls"
    entry = {"key": str(missing / "a.key"), "certificate": str(missing / "a.crt"), "names": NAMES}
    found = selfsigned.due([entry], owner=_me())
    assert found["due"] == [entry["certificate"]]
    assert found["reasons"] == {entry["certificate"]: "no certificate"}
    assert found["missing_directories"] == [str(missing)]


@pytest.mark.parametrize(
    ("names", "why"),
    [
        (["notes.test", "www.notes.test", "api.notes.test"], "made for notes.test, www.notes.test"),
        (["www.notes.test", "notes.test"], "common name is not www.notes.test"),
    ],
)
def test_other_names_make_it_due(tmp_path, names, why):
    entry = make(tmp_path, NAMES)
    assert why in reasons({**entry, "names": names})[entry["certificate"]]


def test_a_certificate_not_of_its_key_is_due(tmp_path):
    entry = make(tmp_path, NAMES)
    make(tmp_path, NAMES, name="other")
    os.replace(tmp_path / "other.key", tmp_path / "site.key")
    assert reasons(entry) == {entry["certificate"]: "the certificate is not the key's"}


def test_a_key_of_another_kind_is_due(tmp_path):
    entry = make(tmp_path, NAMES, key=rsa.generate_private_key(65537, 2048))
    assert reasons(entry) == {entry["certificate"]: "the key is not ECDSA P-256"}


@pytest.mark.parametrize(("name", "mode"), [("site.key", 0o644), ("site.crt", 0o600)])
def test_a_mode_that_drifted_is_due(tmp_path, name, mode):
    entry = make(tmp_path, NAMES)
    os.chmod(tmp_path / name, mode)
    assert "mode" in reasons(entry)[entry["certificate"]]


def test_a_missing_key_is_due(tmp_path):
    entry = make(tmp_path, NAMES)
    os.unlink(entry["key"])
    assert reasons(entry) == {entry["certificate"]: "no key"}


def test_a_kept_certificate_is_due_only_when_missing(tmp_path):
    entry = {**make(tmp_path, ["another.test"]), "keep_existing": True}
    assert reasons({**entry, "names": NAMES}) == {}
    os.unlink(entry["certificate"])
    assert reasons(entry) == {entry["certificate"]: "no certificate"}
