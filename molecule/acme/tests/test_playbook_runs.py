"""The play again: a rerun asks the CA for nothing; a site whose names the CA cannot reach
fails the run by name while every other certificate keeps serving; a site that leaves
ACME is no longer renewed. These run the play against every instance at once, as an
operator would, so they take no `host` fixture; each puts the sites back afterwards."""

import pytest
from acme_ca import (
    fingerprint,
    pebble_requests,
    renewal_due,
    run_renewal,
    served_certificate,
)
from cryptography import x509
from playbook_run import instance, run_playbook, scenario_vars


def _served(web_hosts, sites) -> dict:
    return {
        (web, site): fingerprint(web, names[0])
        for web in web_hosts
        for site, names in sites.items()
    }


def test_rerun_changes_nothing_and_asks_the_ca_nothing(ca, web_hosts, sites):
    served, asked = _served(web_hosts, sites), pebble_requests(ca)
    run = run_playbook("site.yml")
    assert run.rc == 0, run.output[-3000:]
    assert all(counts["changed"] == 0 for counts in run.recap().values()), run.output[-3000:]
    assert pebble_requests(ca) == asked
    assert _served(web_hosts, sites) == served


def _provision_as_before() -> None:
    """nginx's sites as the scenario has them (only nginx's part of site.yml)."""
    run = run_playbook("playbooks/provision.yml")
    assert run.rc == 0, run.output[-3000:]


@pytest.fixture
def site_without_dns():
    """A new ACME site whose name resolves nowhere; the sites as they were afterwards."""
    site = {
        "name": "lost",
        "server_names": ["lost.test"],
        "app_group": "app",
        "tls": {"mode": "acme"},
    }
    yield [*scenario_vars()["nginx_sites"], site]
    _provision_as_before()


def test_first_run_the_ca_cannot_reach_fails_naming_the_site(web_hosts, sites, site_without_dns):
    served = _served(web_hosts, sites)
    run = run_playbook("site.yml", extra_vars={"nginx_sites": site_without_dns})
    assert run.rc != 0, run.output[-3000:]
    assert "nginx_sites item 'lost': the ACME CA at" in run.output, run.output[-3000:]
    assert "issued no certificate for lost.test" in run.output
    assert "a temporary self-signed one for a new site" in run.output
    # The other sites keep their certificates; the new one is served with a temporary one.
    assert _served(web_hosts, sites) == served
    for web in web_hosts:
        temporary = x509.load_der_x509_certificate(served_certificate(web, "lost.test"))
        assert temporary.issuer == temporary.subject


@pytest.fixture
def legacy_self_signed():
    """The sites with legacy back on a self-signed certificate; as they were afterwards."""
    yield [
        {**site, "tls": {"mode": "selfsigned"}} if site["name"] == "legacy" else site
        for site in scenario_vars()["nginx_sites"]
    ]
    _provision_as_before()


def test_site_that_leaves_acme_is_no_longer_renewed(web_hosts, legacy_self_signed):
    run = run_playbook("playbooks/provision.yml", extra_vars={"nginx_sites": legacy_self_signed})
    assert run.rc == 0, run.output[-3000:]
    for web in web_hosts:
        host = instance(web)
        assert not host.file("/etc/letsencrypt/renewal/legacy.conf").exists
        assert host.file("/etc/letsencrypt/renewal/notes.conf").exists
        # Nothing the timer runs puts a CA's certificate back in place of the new one.
        with renewal_due(host, "notes"):
            result, journal = run_renewal(host)
        assert result.rc == 0, journal
        served = x509.load_der_x509_certificate(served_certificate(web, "legacy.test"))
        assert served.issuer == served.subject
