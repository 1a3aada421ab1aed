"""nginx keeps the site up when things go wrong. Each test puts the stack back."""

import gzip
import time

from host_state import config_state
from load import Load
from playbook_run import instance, run_playbook, scenario_hosts, scenario_vars
from stack_http import request


def _scenario_sites() -> list[dict]:
    return scenario_vars()["nginx_sites"]


def test_app_down_static_still_served_and_maintenance_page_shown(host, container, app_name):
    host.run_expect([0], f"systemctl stop {app_name}.socket {app_name}.service")
    try:
        page = request(container, "/")
        static = request(container, "/static/style.css")
    finally:
        host.run_expect([0], f"systemctl start {app_name}.socket {app_name}.service")
    assert page.status == 502
    assert "flaskstack-maintenance-page" in page.text
    assert page.headers["strict-transport-security"] == "max-age=63072000"
    assert page.headers["retry-after"] == "30"
    assert static.status == 200
    assert request(container, "/").status == 200


def test_precompressed_static_file_preferred(host, container, app_name):
    # A .gz beside a static file is sent as is; its content tells it apart from on-the-fly gzip.
    static = host.file(f"/srv/{app_name}/current/static").linked_to
    host.run_expect([0], f"printf 'precompressed copy' | gzip -c > {static}/app.js.gz")
    try:
        reply = request(container, "/static/app.js", headers={"Accept-Encoding": "gzip"})
    finally:
        host.run_expect([0], f"rm -f {static}/app.js.gz")
    assert reply.headers["content-encoding"] == "gzip"
    assert gzip.decompress(reply.body) == b"precompressed copy"


def test_reload_under_load_loses_no_request(host, container):
    with Load(container, ["/static/style.css", "/healthz", "/"], workers=4) as load:
        time.sleep(1)
        for _ in range(5):
            host.run_expect([0], "systemctl reload nginx")
            time.sleep(0.5)
        time.sleep(1)
    assert load.failures == []
    assert load.total > 50


def test_check_mode_on_converged_hosts_reports_no_change():
    # Converged as the inventory says first: other tests in this scenario deploy other
    # releases and settings (a no-op when this test runs first).
    converge = run_playbook("site.yml")
    assert converge.rc == 0, converge.output[-3000:]
    run = run_playbook("site.yml", "--check", "--diff")
    assert run.rc == 0, run.output[-3000:]
    recap = run.recap()
    assert recap, run.output[-3000:]
    assert all(counts["changed"] == 0 for counts in recap.values()), run.output[-3000:]


def test_rejected_directive_is_rolled_back(app_name):
    hosts = {name: instance(name) for name in scenario_hosts()}
    before = {name: config_state(host, app_name) for name, host in hosts.items()}
    sites = [{**site, "extra_config": "this_is_not_a_directive on;"} for site in _scenario_sites()]
    run = run_playbook("playbooks/provision.yml", extra_vars={"nginx_sites": sites})

    assert run.rc != 0
    assert "nginx rejected the new configuration" in run.output
    assert 'unknown directive "this_is_not_a_directive"' in run.output
    for name, host in hosts.items():
        # Every file and link as it was, no backup left behind, and the same nginx
        # master with the same configuration loaded: never reloaded.
        assert config_state(host, app_name) == before[name]
        assert host.run("nginx -t").rc == 0
        assert request(name, "/").status == 200
