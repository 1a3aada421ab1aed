"""`make demo-fleet`, run again, the deploy it tells the user to run (also in batches of
two, and limited to one app host), SSH by host name, then `make demo-down`: typed in the
checkout as the README gives them."""

import pytest
from conftest import (
    PAGES,
    ROOT,
    assert_changed_nothing,
    assert_serves,
    assert_succeeded,
    demo_up,
    existing_demo_containers,
    get,
    state,
    typed,
)

DEPLOY = ".venv/bin/ansible-playbook -i inventory/fleet playbooks/deploy.yml"


@pytest.fixture(scope="module")
def fleet(log_dir):
    with demo_up("make demo-fleet", log_dir) as run:
        yield run


def _hosts() -> list[str]:
    return sorted(name for names in state("fleet.json")["containers"].values() for name in names)


def test_make_demo_fleet_prints_its_url_and_the_deploy_command(fleet):
    assert state("fleet.json")["url"] in fleet.output
    assert DEPLOY in fleet.output


@pytest.mark.parametrize(("path", "content_type"), PAGES)
def test_the_fleet_answers_over_https(fleet, path, content_type):
    assert_serves(state("fleet.json")["url"], path, content_type)


def test_make_demo_fleet_again_changes_nothing(fleet, log_dir):
    run = typed("make demo-fleet", log_dir)
    assert_changed_nothing(run, "make demo-fleet")
    assert sorted(run.recap()) == _hosts()


@pytest.mark.parametrize(
    "options",
    ["", "-e flaskapp_serial=2", "--limit 'web:flaskstack-demo-app1'"],
    ids=["as-printed", "in-batches-of-two", "limited-to-one-app-host"],
)
def test_the_deploy_it_prints_runs(fleet, log_dir, options):
    command = f"{DEPLOY} {options}".strip()
    run = typed(command, log_dir)
    assert_succeeded(run, command)
    expected = ["flaskstack-demo-app1", "flaskstack-demo-web"] if "--limit" in options else None
    assert sorted(run.recap()) == (expected or _hosts())
    assert get(state("fleet.json")["url"].rstrip("/") + "/healthz")[0] == 200


def test_each_host_is_reached_by_its_name(fleet, log_dir):
    command = "ssh -F .demo/ssh_config flaskstack-demo-db nft list table inet flaskstack"
    run = typed(command, log_dir, timeout=60)
    assert_succeeded(run, command)
    assert "tcp dport 5432" in run.output


def test_make_demo_down_removes_the_fleet(fleet, log_dir):
    assert_succeeded(typed("make demo-down", log_dir), "make demo-down")
    assert existing_demo_containers() == []
    assert not (ROOT / ".demo").exists()
