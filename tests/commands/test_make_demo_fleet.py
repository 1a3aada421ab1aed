"""`make demo-fleet`, run again, the deploy it tells the user to run, SSH by host name,
then `make demo-down`: typed in the checkout as the README gives them."""

import pytest
from conftest import ROOT, assert_succeeded, existing_demo_containers, get, state, typed

DEPLOY = ".venv/bin/ansible-playbook -i inventory/fleet playbooks/deploy.yml"


@pytest.fixture(scope="module")
def fleet(no_demo_running, log_dir):
    run = typed("make demo-fleet", log_dir)
    yield run
    typed("make demo-down", log_dir)


def test_make_demo_fleet_serves_the_page_and_prints_its_url(fleet):
    assert_succeeded(fleet, "make demo-fleet")
    assert state("fleet.json")["url"] in fleet.output
    # What it tells the user to type next is what the next test types.
    assert DEPLOY in fleet.output


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/", "text/html"), ("/static/style.css", "text/css"), ("/healthz", "application/json")],
)
def test_the_fleet_answers_over_https(fleet, path, content_type):
    status, headers, _ = get(state("fleet.json")["url"].rstrip("/") + path)
    assert status == 200
    assert headers["content-type"].startswith(content_type)


def test_make_demo_fleet_again_changes_nothing(fleet, log_dir):
    run = typed("make demo-fleet", log_dir)
    assert_succeeded(run, "make demo-fleet")
    recap = run.recap()
    assert sorted(recap) == sorted(
        name for names in state("fleet.json")["containers"].values() for name in names
    )
    assert {host: counts["changed"] for host, counts in recap.items()} == dict.fromkeys(recap, 0)


def test_the_deploy_it_prints_runs(fleet, log_dir):
    run = typed(DEPLOY, log_dir)
    assert_succeeded(run, DEPLOY)
    status, _, _ = get(state("fleet.json")["url"].rstrip("/") + "/healthz")
    assert status == 200


def test_a_deploy_limited_to_one_app_host_keeps_the_web_host_in(fleet, log_dir):
    # As the README says to: the web hosts stay in the limit, to take the app host out.
    command = f"{DEPLOY} --limit 'web:flaskstack-demo-app1'"
    run = typed(command, log_dir)
    assert_succeeded(run, command)
    assert sorted(run.recap()) == ["flaskstack-demo-app1", "flaskstack-demo-web"]


def test_each_host_is_reached_by_its_name(fleet, log_dir):
    command = "ssh -F .demo/ssh_config flaskstack-demo-db nft list table inet flaskstack"
    run = typed(command, log_dir, timeout=60)
    assert_succeeded(run, command)
    assert "tcp dport 5432" in run.output


def test_make_demo_down_removes_the_fleet(fleet, log_dir):
    run = typed("make demo-down", log_dir)
    assert_succeeded(run, "make demo-down")
    assert existing_demo_containers() == []
    assert not (ROOT / ".demo").exists()
