"""Renewal on the host, without Ansible: certbot's own timer unit renews what is due, and
nginx serves the renewed certificate only once `nginx -t` accepts it. A renewal that
fails keeps the current certificate serving, says why in the journal, and holds up no
other site. Each test puts DNS, the renewal settings and nginx's files back."""

from acme_ca import (
    fingerprint,
    fingerprint_once_changed,
    renewal_due,
    run_renewal,
    set_dns,
    verified_handshake,
)

testinfra_hosts = ["ansible://web"]


def test_due_renewal_changes_the_served_certificate(host, container, ca_root, sites):
    before = fingerprint(container, "notes.test")
    with renewal_due(host, "notes"):
        result, journal = run_renewal(host)
    assert result.rc == 0, journal
    assert "notes: installed the certificate certbot obtained" in journal
    assert fingerprint_once_changed(container, "notes.test", before) != before
    for name in sites["notes"]:
        verified_handshake(container, name, ca_root)


def test_failed_renewal_keeps_serving_and_other_sites_still_renew(
    host, container, ca, sites, dns_target
):
    before = {site: fingerprint(container, names[0]) for site, names in sites.items()}
    # The CA can no longer reach this site's challenges: its names resolve nowhere.
    set_dns(ca, sites["notes"], None)
    try:
        with renewal_due(host, "notes", "legacy"):
            result, journal = run_renewal(host)
    finally:
        set_dns(ca, sites["notes"], dns_target)
    host.run("systemctl reset-failed certbot.service")
    assert result.rc != 0, journal
    # Once nginx serves the other site's renewed certificate, this one is still the old one.
    assert fingerprint_once_changed(container, "legacy.test", before["legacy"]) != before["legacy"]
    assert fingerprint(container, "notes.test") == before["notes"]
    # The journal names the site and gives the CA's reason.
    assert "Failed to renew certificate notes" in journal
    assert "could not resolve" in journal or "NXDOMAIN" in journal, journal
    assert "legacy: installed the certificate certbot obtained" in journal


def test_renewal_nginx_rejects_waits_and_is_put_in_place_by_the_next_run(host, container):
    before = fingerprint(container, "legacy.test")
    files = "sha256sum /etc/nginx/tls/legacy.crt /etc/nginx/tls/legacy.key"
    files_before = host.check_output(files)
    # Something else broke nginx's configuration (by hand, another tool) before the timer ran.
    host.run_expect([0], "echo 'broken_on_purpose;' > /etc/nginx/conf.d/broken.conf")
    try:
        with renewal_due(host, "legacy"):
            result, journal = run_renewal(host)
        assert result.rc != 0, journal
        assert "nginx -t failed" in journal
        # Neither served nor left on disk for nginx's next start.
        assert fingerprint(container, "legacy.test") == before
        assert host.check_output(files) == files_before
        assert host.service("nginx").is_running
    finally:
        host.run("rm -f /etc/nginx/conf.d/broken.conf")
    # The next run renews nothing, and puts the certificate it kept in place.
    result, journal = run_renewal(host)
    assert result.rc == 0, journal
    assert "legacy: installed the certificate certbot obtained" in journal
    assert fingerprint_once_changed(container, "legacy.test", before) != before
