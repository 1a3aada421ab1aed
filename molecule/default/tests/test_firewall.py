"""One host carrying both tiers with its firewall on, reached over SSH through a port
Docker forwards, as `make demo` and one-server production are: the rules admit the port
sshd listens on (never the controller's forwarded one), HTTP and HTTPS, and nothing else."""

import re
import socket

import pytest
from playbook_run import inventory_hostvars
from stack_http import published_port

# A service nobody asked the firewall to open, listening on every address.
PROBE_PORT = 8999
LISTENER = f"systemd-run --unit=flaskstack-probe --collect python3 -m http.server {PROBE_PORT}"
# Try a TCP connection: argv[1] host, argv[2] port; exit 0 if it opens.
CONNECT = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)"
# `tcp dport 22 accept` or `tcp dport { 22, 2222 } accept`, as `nft list` prints them.
ACCEPTED_PORTS = re.compile(r"tcp dport (\{[^}]*\}|\d+) accept")


def _admitted_ports(host) -> set[int]:
    rules = host.check_output("nft list table inet flaskstack")
    found = ACCEPTED_PORTS.findall(rules)
    return {int(port) for ports in found for port in ports.strip("{}").split(",")}


def test_ansible_comes_in_over_ssh_through_a_forwarded_port(host, container):
    # Ansible's (and testinfra's) port is Docker's on 127.0.0.1; the host sees sshd's own.
    assert inventory_hostvars(container)["ansible_port"] == published_port(container, 22)
    ssh_connection = host.check_output("echo $SSH_CONNECTION").split()
    assert ssh_connection[3] == "22"


def test_the_firewall_admits_sshd_and_nginx_only(host, container):
    admitted = _admitted_ports(host)
    assert admitted == {22, 80, 443}
    assert published_port(container, 22) not in admitted


def test_the_app_needs_nothing_open_on_a_host_that_runs_nginx_too(host):
    # gunicorn listens on its unix socket only: no port, no opening.
    assert ":8000 " not in host.check_output("ss -Htln")
    assert 8000 not in _admitted_ports(host)


@pytest.fixture
def unasked_listener(host):
    host.check_output(LISTENER)
    host.check_output(
        f"timeout 10 sh -c 'until ss -Htln | grep -q :{PROBE_PORT}; do sleep 0.2; done'"
    )
    yield PROBE_PORT
    host.run("systemctl stop flaskstack-probe")


def test_a_port_nobody_asked_for_is_dropped(host, unasked_listener):
    address = host.interface("eth0").addresses[0]
    # The positive controls: the service answers on the host itself, and the controller
    # reaches the host's address on a port that is open.
    assert host.run("python3 -c %s 127.0.0.1 %s", CONNECT, str(unasked_listener)).rc == 0
    socket.create_connection((address, 443), 2).close()
    with pytest.raises(OSError):
        socket.create_connection((address, unasked_listener), 2).close()
