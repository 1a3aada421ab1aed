"""Wrong inputs are refused before any host changes, naming what was expected; tags run
only what they name. These run the play against every instance at once, as an operator
would, so they take no `host` fixture."""

import pytest
from host_state import config_state
from playbook_run import app_name, instance, run_playbook, scenario_hosts, scenario_vars
from stack_http import request


@pytest.fixture
def unchanged_hosts():
    """Fails the test if any instance's configuration changed, or a site stopped serving."""
    hosts = {name: instance(name) for name in scenario_hosts()}
    before = {name: config_state(host, app_name()) for name, host in hosts.items()}
    yield
    for name, host in hosts.items():
        assert config_state(host, app_name()) == before[name], f"{name} changed"
        assert request(name, "/healthz").status == 200


def _sites() -> list[dict]:
    return scenario_vars()["nginx_sites"]


def _refused(run, *expected: str) -> None:
    assert run.rc != 0, run.output[-3000:]
    for text in expected:
        assert text in run.output, run.output[-3000:]
    recap = run.recap()
    assert recap and all(counts["changed"] == 0 for counts in recap.values()), run.output[-3000:]


def test_bad_variable_of_a_later_play_changes_no_host(unchanged_hosts):
    # The nginx change is valid; the flaskapp one is not, and its role runs in a later play.
    run = run_playbook(
        "site.yml", extra_vars={"flaskapp_workers": "many", "nginx_client_max_body_size": "3m"}
    )
    _refused(run, "flaskapp_workers", "int")


def test_a_warmup_path_that_is_no_path_fails_naming_it(unchanged_hosts):
    run = run_playbook("site.yml", extra_vars={"flaskapp_warmup_paths": ["/", "healthz"]})
    _refused(run, "flaskapp_warmup_paths of paths starting with /", "['healthz']")


def test_missing_operator_certificate_names_the_file_and_the_site(unchanged_hosts):
    sites = [
        {**site, "tls": {**site["tls"], "certificate": "/nonexistent/site.crt"}}
        if site["name"] == "own"
        else site
        for site in _sites()
    ]
    run = run_playbook("site.yml", extra_vars={"nginx_sites": sites})
    _refused(run, "nginx_sites item 'own'", "tls.certificate '/nonexistent/site.crt'")
    assert "is undefined" not in run.output


def test_wrong_variable_type_fails_naming_it(unchanged_hosts):
    run = run_playbook("playbooks/provision.yml", extra_vars={"nginx_tls_profile": "ancient"})
    _refused(run, "nginx_tls_profile", "ancient")


def test_malformed_site_fails_naming_it(unchanged_hosts):
    site = {"name": "Bad Name", "server_names": ["bad.test"], "upstream": {}}
    run = run_playbook("playbooks/provision.yml", extra_vars={"nginx_sites": [site]})
    _refused(run, "nginx_sites item 'Bad Name'")


def test_app_group_without_the_web_host_fails_naming_it(unchanged_hosts):
    sites = [{**site, "app_group": "ungrouped"} for site in _sites()]
    run = run_playbook("playbooks/provision.yml", extra_vars={"nginx_sites": sites})
    _refused(run, "app_group")


def test_nginx_configure_tag_builds_and_deploys_nothing(unchanged_hosts):
    run = run_playbook("site.yml", "--tags", "nginx_configure")
    assert run.rc == 0, run.output[-3000:]
    assert "Write nginx's configuration, prove it with nginx -t" in run.output
    for other in ("Build the wheelhouse", "Ship the wheelhouse", "Point current at the release"):
        assert other not in run.output
    assert all(counts["changed"] == 0 for counts in run.recap().values()), run.output[-3000:]


def test_without_a_rate_limit_a_burst_gets_no_429(container):
    # This scenario sets nginx_rate_limit: "" (as behind a CDN); default proves the limit.
    statuses = [request(container, "/healthz").status for _ in range(60)]
    assert set(statuses) == {200}
