"""Where each site's files go on the host, as Jinja filters: the guarded_change entries of
its configuration (tasks/configure.yml) and the self-signed certificates made for it
(tasks/certificates.yml). The paths live here, once. Pure functions, unit-tested in
tests/test_nginx_files_filters.py."""

from __future__ import annotations

SITES_AVAILABLE = "/etc/nginx/sites-available"
SITES_ENABLED = "/etc/nginx/sites-enabled"
TLS = "/etc/nginx/tls"
# The guarded_change command that makes nginx read its files again.
RELOAD = "reload"


def nginx_site_files(sites, texts) -> dict:
    """guarded_change's files and secrets for each of SITES, from TEXTS: {site name: {part:
    text}}, each part rendered or read on the controller (which a filter cannot do).

    Parts: `site` (its server blocks and app servers, in sites-available, enabled by a
    link), and for a site with the operator's own files, `certificate` and `key` (a secret:
    its content goes in secrets, never in an entry). A part a site has no text for has no
    entry. Every entry is one nginx reads: its change reloads nginx."""
    files, secrets = [], {}
    for site in sites:
        name, parts = site["name"], texts.get(site["name"], {})
        if "site" in parts:
            available = f"{SITES_AVAILABLE}/{name}.conf"
            files.append({"path": available, "content": parts["site"], "notify": [RELOAD]})
            files.append(
                {"path": f"{SITES_ENABLED}/{name}.conf", "src": available, "notify": [RELOAD]}
            )
        if "certificate" in parts:
            files.append(
                {"path": f"{TLS}/{name}.crt", "content": parts["certificate"], "notify": [RELOAD]}
            )
        if "key" in parts:
            key = f"{TLS}/{name}.key"
            files.append({"path": key, "secret": True, "mode": "0600", "notify": [RELOAD]})
            secrets[key] = parts["key"]
    return {"files": files, "secrets": secrets}


def nginx_selfsigned_certificates(sites) -> list[dict]:
    """The common role's self-signed certificates (its selfsigned_certificate entry point)
    for the sites that need one made on the host: each tls.mode selfsigned site, and each
    ACME site until certbot's certificate is there (nginx cannot serve the CA's challenge
    without one): a temporary one, made only when none is there, as certbot replaces it."""
    certificates = []
    for site in sites:
        mode = site["tls"]["mode"]
        if mode not in ("selfsigned", "acme"):
            continue
        certificate = {
            "key": f"{TLS}/{site['name']}.key",
            "certificate": f"{TLS}/{site['name']}.crt",
            "names": list(site["server_names"]),
        }
        if mode == "acme":
            certificate.update(days=30, keep_existing=True)
        certificates.append(certificate)
    return certificates


class FilterModule:
    def filters(self):
        return {
            "nginx_site_files": nginx_site_files,
            "nginx_selfsigned_certificates": nginx_selfsigned_certificates,
        }
