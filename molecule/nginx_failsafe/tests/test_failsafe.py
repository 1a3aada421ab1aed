"""nginx keeps the site up when things go wrong. Each test puts the stack back."""

import gzip
import time

from load import Load
from playbook_run import instance, run_playbook, scenario_config, scenario_hosts
from stack_http import request

SITE_CONF = "/etc/nginx/sites-available/notes.conf"


def _scenario_sites() -> list[dict]:
    return scenario_config()["provisioner"]["inventory"]["group_vars"]["all"]["nginx_sites"]


def _nginx_master_pid(host) -> str:
    return host.check_output("systemctl show -p MainPID --value nginx.service")


def test_app_down_static_still_served_and_maintenance_page_shown(host, container):
    host.run_expect([0], "systemctl stop flaskapp.socket flaskapp.service")
    try:
        page = request(container, "/")
        static = request(container, "/static/style.css")
    finally:
        host.run_expect([0], "systemctl start flaskapp.socket flaskapp.service")
    assert page.status == 502
    assert "flaskstack-maintenance-page" in page.text
    assert page.headers["strict-transport-security"] == "max-age=63072000"
    assert page.headers["retry-after"] == "30"
    assert static.status == 200
    assert request(container, "/").status == 200


def test_precompressed_static_file_preferred(host, container):
    # A .gz beside a static file is sent as is; its content tells it apart from on-the-fly gzip.
    static = host.file("/srv/flaskapp/current/static").linked_to
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
    run = run_playbook("site.yml", "--check", "--diff")
    assert run.rc == 0, run.output[-3000:]
    recap = run.recap()
    assert recap, run.output[-3000:]
    assert all(counts["changed"] == 0 for counts in recap.values()), run.output[-3000:]


# Every file's checksum and every link's target under /etc/nginx.
NGINX_SNAPSHOT = (
    "cd /etc/nginx && find . -type f -print0 | sort -z | xargs -0 sha256sum"
    " && find . -type l -printf '%p -> %l\\n' | sort"
)


def test_rejected_directive_is_rolled_back():
    hosts = {name: instance(name) for name in scenario_hosts()}
    before = {
        name: (host.check_output(NGINX_SNAPSHOT), _nginx_master_pid(host))
        for name, host in hosts.items()
    }
    sites = [{**site, "extra_config": "this_is_not_a_directive on;"} for site in _scenario_sites()]
    run = run_playbook("playbooks/provision.yml", extra_vars={"nginx_sites": sites})

    assert run.rc != 0
    assert "nginx rejected the new configuration" in run.output
    assert 'unknown directive "this_is_not_a_directive"' in run.output
    for name, host in hosts.items():
        # Every file and link as it was, no backup left behind, and the same nginx
        # master with the same configuration loaded: never reloaded.
        assert (host.check_output(NGINX_SNAPSHOT), _nginx_master_pid(host)) == before[name]
        assert host.run("nginx -t").rc == 0
        assert request(name, "/").status == 200
