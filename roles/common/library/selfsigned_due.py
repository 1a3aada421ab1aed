#!/usr/bin/python
"""Which of some self-signed certificates must be made (again), found in one round trip.

tasks/selfsigned_certificate.yml asks this first, for every certificate at once, and
hands only those that are due to community.crypto's modules (three tasks per
certificate): a run that needs no new certificate costs this one task.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: selfsigned_due
short_description: Say which self-signed certificates and keys are missing or made for other names
description:
  - Reads each certificate and its private key and says which are due, with why. A
    certificate is due when its key or itself is missing, the key is not ECDSA P-256,
    the certificate is not the key's, its common name is not the first name or its
    subject alternative names are not the names, or an owner or mode differs (key 0600,
    certificate 0644). One that is due goes through community.crypto, which decides
    what exactly to make again.
  - With I(keep_existing), a certificate that exists is never due, whatever it is for
    (a temporary one that another tool replaces).
  - Changes nothing; runs in check mode too. Without python3-cryptography on the host
    every certificate is due.
options:
  certificates:
    description:
      - Each a dict with I(key) and I(certificate) (paths), I(names) (DNS names and IP
        addresses; the first is the common name), and optionally I(keep_existing)
        (default false).
    type: list
    elements: dict
    required: true
  owner:
    description: User and group that own every key and certificate.
    type: str
    default: root
"""

RETURN = r"""
due:
  description: The certificate paths that are due, in the order given.
  type: list
  elements: str
reasons:
  description: Why each due certificate is due, by path.
  type: dict
missing_directories:
  description: Directories of due certificates or keys that do not exist.
  type: list
  elements: str
"""

import grp
import ipaddress
import os
import pwd
import re

from ansible.module_utils.basic import AnsibleModule

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
except ImportError:  # The host lacks python3-cryptography: every certificate is due.
    x509 = None

# As tasks/selfsigned_certificate.yml writes them: an IP address (v4 or v6) is an IP
# entry, anything else a DNS entry.
_IP = re.compile(r"^([0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:]*)$")


def _address(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def wanted_names(names: list[str]) -> set[tuple[str, str]]:
    """The subject alternative names a certificate for NAMES holds, as (kind, value)."""
    return {("IP", _address(name)) if _IP.match(name) else ("DNS", name) for name in names}


def held_names(certificate) -> set[tuple[str, str]]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return set()
    return {("DNS", name) for name in extension.value.get_values_for_type(x509.DNSName)} | {
        ("IP", str(address)) for address in extension.value.get_values_for_type(x509.IPAddress)
    }


def _ownership(path: str, owner: str, mode: int) -> str:
    """Why PATH's owner, group or mode is not OWNER, OWNER and MODE ('' when they are)."""
    info = os.stat(path)
    try:
        uid, gid = pwd.getpwnam(owner).pw_uid, grp.getgrnam(owner).gr_gid
    except KeyError:
        return f"{path}: no user or group {owner}"
    if (info.st_uid, info.st_gid, info.st_mode & 0o7777) != (uid, gid, mode):
        return f"{path} is not owned by {owner} with mode {mode:04o}"
    return ""


def reason(wanted: dict, owner: str = "root") -> str:
    """Why WANTED's certificate is due, or '' when it is not."""
    key_path, cert_path = wanted["key"], wanted["certificate"]
    if not os.path.exists(cert_path):
        return "no certificate"
    if wanted.get("keep_existing"):
        return ""
    if not os.path.exists(key_path):
        return "no key"
    if x509 is None:
        return "python3-cryptography is not installed, so the certificate cannot be read"
    try:
        with open(key_path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        with open(cert_path, "rb") as handle:
            certificate = x509.load_pem_x509_certificate(handle.read())
    except (OSError, ValueError, TypeError) as error:
        return f"unreadable: {error}"
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        return "the key is not ECDSA P-256"
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if certificate.public_key().public_bytes(encoding, public) != key.public_key().public_bytes(
        encoding, public
    ):
        return "the certificate is not the key's"
    common_names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    names = wanted["names"]
    if [attribute.value for attribute in common_names] != names[:1]:
        return f"its common name is not {names[0]}"
    held = held_names(certificate)
    if held != wanted_names(names):
        made_for = ", ".join(sorted(value for _, value in held)) or "no names"
        return f"it is made for {made_for}, not {', '.join(names)}"
    return _ownership(key_path, owner, 0o600) or _ownership(cert_path, owner, 0o644)


def due(certificates: list[dict], owner: str = "root") -> dict:
    """The certificates that are due, why, and the directories they need."""
    reasons = {}
    for wanted in certificates:
        why = reason(wanted, owner)
        if why:
            reasons[wanted["certificate"]] = why
    paths = [w for w in certificates if w["certificate"] in reasons]
    needed = {os.path.dirname(path) for w in paths for path in (w["key"], w["certificate"])}
    return {
        "due": [w["certificate"] for w in paths],
        "reasons": reasons,
        "missing_directories": sorted(d for d in needed if not os.path.isdir(d)),
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "certificates": {"type": "list", "elements": "dict", "required": True},
            "owner": {"type": "str", "default": "root"},
        },
        supports_check_mode=True,
    )
    certificates = module.params["certificates"]
    for wanted in certificates:
        missing = [field for field in ("key", "certificate", "names") if not wanted.get(field)]
        if missing:
            module.fail_json(msg=f"certificates: {wanted} needs {' and '.join(missing)}")
    module.exit_json(changed=False, **due(certificates, module.params["owner"]))


if __name__ == "__main__":
    main()
