"""One host carrying both tiers with its firewall on, reached over SSH through a port
Docker forwards, as `make demo` and one-server production are: the rules admit the port
sshd listens on (never the controller's forwarded one), HTTP and HTTPS, and nothing else."""

import re
import socket

import pytest
from stack_http import published_port

# A service nobody asked the firewall to open, listening on every address.
PROBE_PORT = 8999
LISTENER = f"systemd-run --unit=flaskstack-probe --collect python3 -m http.server {PROBE_PORT}"
# Try a TCP connection: argv[1] host, argv[2] port; exit 0 if it opens.
CONNECT = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)"


def _admitted_ports(host) -> set[str]:
    rules = host.check_output("nft list table inet flaskstack")
    return set(re.findall(r"tcp dport (\S+) accept", rules))


def test_ansible_comes_in_over_ssh_through_a_forwarded_port(host, container):
    # testinfra connects with the inventory's settings, exactly as Ansible does.
    ssh_connection = host.check_output("echo $SSH_CONNECTION").split()
    assert ssh_connection[3] == "22"
    assert published_port(container, 22) != 22


def test_the_firewall_admits_sshd_and_nginx_only(host, container):
    admitted = _admitted_ports(host)
    assert admitted == {"22", "80", "443"}
    assert str(published_port(container, 22)) not in admitted


def test_the_app_needs_nothing_open_on_a_host_that_runs_nginx_too(host):
    # gunicorn listens on its unix socket only: no port, no opening.
    assert ":8000 " not in host.check_output("ss -Htln")
    assert "8000" not in _admitted_ports(host)


@pytest.fixture
def unasked_listener(host):
    host.check_output(LISTENER)
    host.check_output(
        f"timeout 10 sh -c 'until ss -Htln | grep -q :{PROBE_PORT}; do sleep 0.2; done'"
    )
    yield PROBE_PORT
    host.run("systemctl stop flaskstack-probe")


def test_a_port_nobody_asked_for_is_dropped(host, unasked_listener):
    # The positive control: the service answers on the host itself.
    assert host.run("python3 -c %s 127.0.0.1 %s", CONNECT, str(unasked_listener)).rc == 0
    address = host.interface("eth0").addresses[0]
    with pytest.raises(OSError):
        socket.create_connection((address, unasked_listener), 2).close()
