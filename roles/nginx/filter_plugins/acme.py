"""The nginx role's ACME decisions (tasks/acme_obtain.yml) as Jinja filters: which sites
must ask the CA for a certificate and why, and what to say when the CA issued none.
Pure functions of what the tasks read on the host, unit-tested in tests/test_acme_filters.py."""

from __future__ import annotations

import base64
import re

# The lines of certbot's renewal configuration that say how a certificate is renewed.
_RENEWAL_SETTING = re.compile(r"^(server|key_type|renew_hook) = (.*)$", re.M)
# What certbot prints of the CA's answer for a failed challenge.
_PROBLEM = re.compile(r"^\s*(?:Domain|Type|Detail):\s.*$", re.M)
FIRST_REQUEST = "it has no certificate from the CA yet"


def _renewal_settings(renewal: dict) -> dict[str, str]:
    """The settings of a slurped renewal configuration; {} when there is none."""
    content = renewal.get("content")
    if not content:
        return {}
    return dict(_RENEWAL_SETTING.findall(base64.b64decode(content).decode()))


def _names(names) -> list[str]:
    return sorted({name.lower() for name in names})


def acme_requests(sites, certificates, renewals, directory: str, install_hook: str) -> list[dict]:
    """[{site, reason}] for each ACME site whose certificate certbot must ask the CA for.

    sites: the ACME sites; certificates: community.crypto.x509_certificate_info results of
    /etc/letsencrypt/live/SITE/cert.pem, and renewals: slurp results of certbot's renewal
    configuration, each in the order of sites (failed where there is none yet). A site whose
    certificate is valid, for its names, from this CA, with its key type and renewed through
    install_hook asks nothing: a rerun never troubles the CA (rate limits).
    """
    wanted = []
    for site, certificate, renewal in zip(sites, certificates, renewals, strict=True):
        held = _renewal_settings(renewal)
        if "subject_alt_name" not in certificate or not held:
            reasons = [FIRST_REQUEST]
        else:
            names = _names(re.sub("^DNS:", "", name) for name in certificate["subject_alt_name"])
            reasons = []
            if names != _names(site["server_names"]):
                reasons.append("its certificate is for " + ", ".join(names))
            if held.get("server") != directory:
                reasons.append("its certificate is from " + held.get("server", "another CA"))
            if held.get("key_type") != site["tls"]["key_type"]:
                reasons.append("its key is " + held.get("key_type", "of another type"))
            if held.get("renew_hook") != install_hook:
                reasons.append("its renewals would not reach nginx")
            if certificate.get("expired"):
                reasons.append("its certificate expired")
        if reasons:
            wanted.append({"site": site, "reason": "; ".join(reasons)})
    return wanted


def _why(output: str) -> str:
    """The CA's reason from certbot's output, or its last lines when it gave none."""
    problems = [re.sub(r"\s+", " ", line).strip() for line in _PROBLEM.findall(output)]
    if problems:
        return "; ".join(problems)
    lines = [line.strip() for line in output.splitlines()]
    lines = [line for line in lines if line and not re.fullmatch(r"(- )+-?", line)]
    return " ".join(lines[-3:])


def acme_failures(requests, installed, directory: str) -> list[str]:
    """One message per ACME site that nginx serves without the CA's certificate.

    requests: the results of the certbot certonly loop (each item {site, reason}); installed:
    the result of the step that puts certificates in place for nginx.
    """
    found = []
    for result in requests:
        if result.get("rc", 0) == 0:
            continue
        site, reason = result["item"]["site"], result["item"]["reason"]
        output = f"{result.get('stdout', '')}\n{result.get('stderr', '')}"
        serving = (
            "Until a run obtains one, nginx serves the site with the certificate it had"
            " (a temporary self-signed one for a new site)."
            if reason == FIRST_REQUEST
            else "nginx keeps serving its current certificate."
        )
        found.append(
            f"nginx_sites item '{site['name']}': the ACME CA at {directory} issued no certificate"
            f" for {', '.join(site['server_names'])} (asked because {reason}): {_why(output)}."
            f" {serving}"
        )
    if installed.get("rc", 0) != 0:
        found.append(installed.get("stderr", ""))
    return found


class FilterModule:
    def filters(self):
        return {"acme_requests": acme_requests, "acme_failures": acme_failures}
