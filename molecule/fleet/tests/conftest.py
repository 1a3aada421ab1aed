"""Fixtures of the fleet scenario: its hosts by group, and their private addresses."""

import uuid
from collections import Counter

import pytest
from playbook_run import instance, inventory_groups
from stack_http import request


@pytest.fixture(scope="session")
def web() -> str:
    """The web host: every request of the tests goes through its nginx."""
    return inventory_groups()["web"][0]


@pytest.fixture(scope="session")
def apps() -> list[str]:
    return inventory_groups()["app"]


@pytest.fixture(scope="session")
def db():
    """The testinfra host running PostgreSQL (the db group's one host)."""
    return instance(inventory_groups()["db"][0])


@pytest.fixture(scope="session")
def addresses() -> dict[str, str]:
    """Each host's private address, as the hosts reach each other."""
    return {
        name: instance(name).check_output("hostname -I").split()[0]
        for group in ("web", "app", "db")
        for name in inventory_groups()[group]
    }


@pytest.fixture(scope="session")
def db_address(db, addresses):
    """The private address PostgreSQL listens on."""
    return addresses[db.backend.get_hostname()]


@pytest.fixture
def nginx_unreloaded(web):
    """Fails the test if nginx on the web host reloaded meanwhile: a reload replaces every
    worker process, so the same workers before and after mean that none happened."""

    def workers() -> str:
        return instance(web).check_output('pgrep --parent "$(cat /run/nginx.pid)" | sort')

    before = workers()
    yield
    assert workers() == before, "nginx on the web host was reloaded"


@pytest.fixture
def answering(web):
    """answering(requests=20): how many of that many requests sent now each app host
    answered, by its address."""

    def ask(requests: int = 20) -> Counter[str]:
        marker = f"probe-{uuid.uuid4()}"
        for _ in range(requests):
            request(web, "/api/notes", headers={"User-Agent": marker})
        log = instance(web).check_output(f"grep -F {marker} /var/log/nginx/access.log")
        # ua=ADDRESS:PORT names the app server that answered (roles/nginx's log format).
        upstreams = [part.removeprefix("ua=") for part in log.split() if part.startswith("ua=")]
        return Counter(upstream.rsplit(":", 1)[0] for upstream in upstreams)

    return ask
