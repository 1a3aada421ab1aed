"""Fixtures of the database scenario: the host running PostgreSQL, and its address."""

import pytest
from playbook_run import instance, inventory_groups


@pytest.fixture(scope="session")
def db():
    """The testinfra host running PostgreSQL (the db group's one host)."""
    return instance(inventory_groups()["db"][0])


@pytest.fixture(scope="session")
def db_address(db):
    """The private address PostgreSQL listens on."""
    return db.check_output("hostname -I").split()[0]
