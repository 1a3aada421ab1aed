"""A standard TLS scanner (testssl.sh, Debian 12's) run against the site on each web host
from the CA's container, trusting pebble's root as a browser trusts a public CA: nothing
of MEDIUM severity or above, but for what concerns the test CA itself. Also each site's
choice about compressing the app's responses (BREACH)."""

import json
import uuid

import pytest
from acme_ca import address
from stack_http import request

testinfra_hosts = ["ansible://web"]
SEVERE = {"MEDIUM", "HIGH", "CRITICAL"}
# Findings about the test CA's certificates, not about the site or its server.
ABOUT_THE_TEST_CA = {
    # pebble puts neither a CRL nor an OCSP address in what it issues; Let's Encrypt does.
    "cert_revocation",
}


@pytest.fixture(scope="module")
def findings(ca, ca_root, web_hosts) -> dict[str, list[dict]]:
    """testssl.sh's findings for https://notes.test/ on each web host, by container. The
    scans run side by side (each mostly waits on its handshakes): one scan's time, not
    one per host."""
    run = uuid.uuid4()
    root = f"/tmp/pebble-root-{run}.pem"
    ca.run_expect([0], f"printf '%%s' %s > {root}", ca_root.read_text())
    reports = {web: f"/tmp/testssl-{run}-{web}.json" for web in web_hosts}
    # --ip: the web host's address, the name only in SNI and Host; no DNS lookups at all.
    scans = " & ".join(
        f"testssl --quiet --color 0 --warnings off --nodns none --ip {address(web)}"
        f" --add-ca {root} --jsonfile {report} https://notes.test:443/ </dev/null >/dev/null"
        for web, report in reports.items()
    )
    ca.run(f"{scans} & wait")
    try:
        return {
            web: json.loads(ca.check_output("cat %s", report)) for web, report in reports.items()
        }
    finally:
        ca.run(f"rm -f {root} {' '.join(reports.values())}")


def test_scanner_finds_nothing_medium_or_worse(container, findings):
    found = findings[container]
    checked = {finding["id"] for finding in found}
    # The scan really ran the checks the issue was about, and trusted the chain.
    assert {"cipher_order", "BREACH", "cert_chain_of_trust", "HSTS_time"} <= checked, checked
    severe = [
        f"{finding['severity']} {finding['id']}: {finding['finding']}"
        for finding in found
        if finding["severity"] in SEVERE and finding["id"] not in ABOUT_THE_TEST_CA
    ]
    assert severe == []


@pytest.mark.parametrize(
    ("server_name", "compressed"), [("notes.test", False), ("legacy.test", True)]
)
def test_compressing_the_apps_pages_is_each_sites_choice(container, server_name, compressed):
    # The app's page: well above gzip_min_length, so only the site's choice decides.
    page = request(container, "/", server_name=server_name, headers={"Accept-Encoding": "gzip"})
    assert page.status == 200
    assert (page.headers.get("content-encoding") == "gzip") == compressed
    # Static files carry no secret: compressed either way.
    static = request(
        container, "/static/app.js", server_name=server_name, headers={"Accept-Encoding": "gzip"}
    )
    assert static.headers.get("content-encoding") == "gzip"
