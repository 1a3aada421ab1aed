"""Each nginx site with its defaults filled in, as the templates read it (_nginx_sites),
from the inventory's nginx_sites and what the app hosts published (flaskapp_endpoint).
A pure function, unit-tested in tests/test_nginx_sites_filter.py."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

TLS_DEFAULTS = {"mode": "selfsigned", "key_type": "ecdsa", "redirect_port": 443}


def _app_upstream(site: dict, me: str, hostvars, groups) -> tuple[dict, list]:
    """The upstream and static files of a site whose app runs on the hosts of its app_group:
    this host's own socket when it runs the app (a whole stack on one host), else every app
    host's private address, each as that host published it."""
    group = site["app_group"]
    hosts = [me] if me in groups.get(group, []) else list(groups.get(group, []))
    endpoints = []
    for host in hosts:
        endpoint = hostvars[host].get("flaskapp_endpoint")
        if not endpoint:
            raise AnsibleFilterError(
                f"nginx_sites item '{site['name']}': app host {host} of group {group} has not "
                "published flaskapp_endpoint (the flaskapp role's publish step, which "
                "playbooks/preflight.yml runs): run the play through playbooks/preflight.yml."
            )
        endpoints.append((host, endpoint))
    servers = [
        {
            "host": host,
            "server": f"unix:{ep['socket']}" if host == me else f"{ep['address']}:{ep['port']}",
        }
        for host, ep in endpoints
    ]
    first = endpoints[0][1]
    upstream = {
        "servers": servers,
        "keepalive_timeout": first["keepalive_timeout"],
        "read_timeout": first["read_timeout"],
    }
    return upstream, list(first["static"])


def _own_upstream(site: dict) -> tuple[dict, list]:
    upstream = site.get("upstream") or {}
    addresses = (
        [f"unix:{upstream['socket']}"] if upstream.get("socket") else upstream.get("servers") or []
    )
    return {
        "servers": [{"server": address, "host": ""} for address in addresses],
        "keepalive_timeout": upstream.get("keepalive_timeout") or 4,
        "read_timeout": upstream.get("read_timeout") or 60,
    }, list(site.get("static") or [])


def _acme(site: dict) -> bool:
    return (site.get("tls") or {}).get("mode") == "acme"


def nginx_acme_peer_hosts(sites, me, hostvars, peers) -> dict[str, list[str]]:
    """{site: [host]}: for each ACME site, the other web hosts of PEERS that serve it too
    (a challenge one of them receives may be for any of them)."""
    found = {}
    for site in sites:
        if not _acme(site):
            continue
        found[site["name"]] = [
            host
            for host in peers
            if host != me
            and any(
                other.get("name") == site["name"] and _acme(other)
                for other in hostvars[host].get("nginx_sites") or []
            )
        ]
    return found


def nginx_resolved_sites(
    sites, me, hostvars, groups, fail_timeout, peer_hosts, addresses
) -> list[dict]:
    """Every site of nginx_sites as the templates read it:
    upstream: {servers: [{host, server}], keepalive_timeout, read_timeout, fail_timeout}
    static: [{location, path, fallback}]; tls: {mode, certificate, key, key_type,
    redirect_port}; acme_peers: [address] (PEER_HOSTS from nginx_acme_peer_hosts, each
    host's private address in ADDRESSES); compress_dynamic: bool; extra_config: str."""
    resolved = []
    for site in sites:
        if site.get("app_group"):
            upstream, static = _app_upstream(site, me, hostvars, groups)
        else:
            upstream, static = _own_upstream(site)
        resolved.append(
            {
                "name": site["name"],
                "server_names": list(site["server_names"]),
                "upstream": {**upstream, "fail_timeout": fail_timeout},
                "static": static,
                "tls": {**TLS_DEFAULTS, **(site.get("tls") or {})},
                "acme_peers": [addresses[host] for host in peer_hosts.get(site["name"], [])],
                "compress_dynamic": bool(site.get("compress_dynamic")),
                "extra_config": site.get("extra_config") or "",
            }
        )
    return resolved


class FilterModule:
    def filters(self):
        return {
            "nginx_acme_peer_hosts": nginx_acme_peer_hosts,
            "nginx_resolved_sites": nginx_resolved_sites,
        }
