"""Fixtures of the acme scenario: the CA's container, the web hosts, the sites' names and
pebble's root (helpers in resources/acme_ca.py)."""

from pathlib import Path

import pytest
from acme_ca import PEBBLE_ROOT
from playbook_run import instance, inventory_groups, scenario_vars


@pytest.fixture(scope="session")
def ca():
    """The testinfra host running pebble, its DNS helper and the TLS scanner."""
    return instance(inventory_groups()["acme_ca"][0])


@pytest.fixture(scope="session")
def web_hosts() -> list[str]:
    return sorted(inventory_groups()["web"])


@pytest.fixture(scope="session")
def dns_target(web_hosts) -> str:
    """The web host every server name resolves to (prepare.yml): the CA reaches the other
    web host's challenges through this one."""
    return web_hosts[0]


@pytest.fixture(scope="session")
def sites() -> dict[str, list[str]]:
    """Each site's server names."""
    return {site["name"]: site["server_names"] for site in scenario_vars()["nginx_sites"]}


@pytest.fixture(scope="session")
def ca_root(ca, tmp_path_factory) -> Path:
    """pebble's root certificate, which only the tests trust (pebble makes it at start)."""
    path = tmp_path_factory.mktemp("pebble") / "root.pem"
    path.write_text(ca.check_output(PEBBLE_ROOT) + "\n")
    return path
