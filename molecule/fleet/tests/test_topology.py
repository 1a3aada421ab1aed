"""The fleet as the inventory splits it: nginx on the web host balances over both app
hosts and serves the static files itself, and each host's firewall lets in only what its
groups need (test_postgresql.py shows the notes shared)."""

import socket

import pytest
from playbook_run import instance
from polling import within
from stack_http import request

# Try a TCP connection: argv[1] host, argv[2] port; exit 0 if it opens.
CONNECT = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)"


def test_every_host_runs_the_same_release(web, apps):
    releases = {
        name: instance(name).file("/srv/flaskapp/current").linked_to.rsplit("/", 1)[1]
        for name in [web, *apps]
    }
    assert len(set(releases.values())) == 1, releases


def test_requests_are_spread_over_both_app_hosts(apps, addresses, answering):
    assert set(answering()) == {addresses[name] for name in apps}


def _connections_accepted(host) -> int:
    """TCP connections the host has accepted since it started (its own network namespace)."""
    header, values = (
        line.split()
        for line in host.file("/proc/net/snmp").content_string.splitlines()
        if line.startswith("Tcp:")
    )
    return int(values[header.index("PassiveOpens")])


def test_nginx_sends_many_requests_over_each_connection_to_a_threaded_app_host(
    apps, addresses, answering
):
    # app2 runs gthread workers (molecule.yml), which keep nginx's connections alive.
    threaded = instance(apps[1])
    before = _connections_accepted(threaded)
    served = answering(60)[addresses[apps[1]]]
    accepted = _connections_accepted(threaded) - before
    assert served >= 20 and accepted <= served / 4, f"{accepted} connections for {served} requests"


def test_with_every_app_host_down_static_files_still_answer(web, apps):
    for name in apps:
        instance(name).run_expect([0], "systemctl stop flaskapp.socket flaskapp.service")
    try:
        page = request(web, "/")
        static = request(web, "/static/style.css")
    finally:
        for name in apps:
            instance(name).run_expect([0], "systemctl start flaskapp.socket flaskapp.service")
    assert static.status == 200
    assert page.status == 502
    assert "flaskstack-maintenance-page" in page.text
    # nginx takes the app hosts back once they answer again.
    assert within(20, lambda: request(web, "/").status == 200), "the app hosts were not taken back"


@pytest.mark.parametrize(("source", "target", "port"), [("web", "app", 8000), ("app", "db", 5432)])
def test_each_tier_reaches_the_next(web, apps, db, addresses, source, target, port):
    # The positive control for the test below: these connections are allowed.
    client = {"web": web, "app": apps[0]}[source]
    server = {"app": apps[1], "db": db.backend.get_hostname()}[target]
    attempt = instance(client).run("python3 -c %s %s %s", CONNECT, addresses[server], str(port))
    assert attempt.rc == 0, attempt.stderr


def test_a_host_outside_the_groups_reaches_neither_the_app_nor_postgresql(apps, db, addresses):
    # This controller is in no group; it reaches the hosts over the same network.
    targets = [(addresses[name], 8000) for name in apps]
    targets.append((addresses[db.backend.get_hostname()], 5432))
    for address, port in targets:
        with pytest.raises(OSError):
            socket.create_connection((address, port), 2).close()
