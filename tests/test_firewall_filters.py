"""The firewall role's SSH ports: what sshd listens on, read on the host, never the port
the controller happens to reach it through."""

import pytest
from library import role_module

ssh_ports = role_module("firewall", "ssh_ports", kind="filter_plugins")

SSHD = (
    'LISTEN 0      128    0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=37,fd=3))\n'
    'LISTEN 0      128       [::]:22    [::]:* users:(("sshd",pid=37,fd=4))\n'
)
NGINX = 'LISTEN 0 511 0.0.0.0:443 0.0.0.0:* users:(("nginx",pid=90,fd=6),("nginx",pid=89,fd=6))\n'
# A TCP socket systemd holds for another unit (the app's, on an app host).
OTHER_SOCKET = 'LISTEN 0      4096   10.0.0.5:8000 0.0.0.0:* users:(("systemd",pid=1,fd=30))\n'
SOCKET_INACTIVE = "Listen=[::]:22 (Stream)\nActiveState=inactive\n"
# ssh.service's daemon, pid 37 in SSHD above.
SERVICE = "MainPID=37\n"
NO_SERVICE = "MainPID=0\n"
# What sessions of that daemon listen on: an X11 display and a remote forward (ssh -R).
SESSION_FORWARDS = (
    'LISTEN 0 128 127.0.0.1:6010 0.0.0.0:* users:(("sshd",pid=412,fd=9))\n'
    'LISTEN 0 128 0.0.0.0:9000 0.0.0.0:* users:(("sshd",pid=415,fd=11))\n'
    'LISTEN 0 128 0.0.0.0:9001 0.0.0.0:* users:(("sshd-session",pid=418,fd=11))\n'
)


def socket_unit(*listens: str) -> str:
    """`systemctl show --property=ActiveState,Listen ssh.socket` of an active socket."""
    return "".join(f"Listen={listen} (Stream)\n" for listen in listens) + "ActiveState=active\n"


def test_sshd_ports_are_read_from_ss():
    assert ssh_ports.sshd_listen_ports(SSHD + NGINX + SERVICE + SOCKET_INACTIVE) == [22]


def test_sshd_on_another_port_and_address():
    report = 'LISTEN 0 128 192.168.1.4%eth0:2222 0.0.0.0:* users:(("sshd",pid=7,fd=3))\n'
    assert ssh_ports.sshd_listen_ports(report + "MainPID=7\n" + SOCKET_INACTIVE) == [2222]


def test_ports_a_session_forwards_are_not_sshds():
    report = SSHD + SESSION_FORWARDS + SERVICE + SOCKET_INACTIVE
    assert ssh_ports.sshd_listen_ports(report) == [22]


def test_without_the_service_every_sshd_socket_counts():
    """sshd started some other way than ssh.service: its sockets are all there is to go by."""
    report = SSHD + NO_SERVICE + SOCKET_INACTIVE
    assert ssh_ports.sshd_listen_ports(report) == [22]


def test_an_active_ssh_socket_counts_with_each_of_its_ports():
    report = OTHER_SOCKET + NO_SERVICE + socket_unit("[::]:2222", "127.0.0.1:2200", "/run/ssh.sock")
    assert ssh_ports.sshd_listen_ports(report) == [2200, 2222]


def test_other_listeners_and_an_inactive_socket_unit_count_for_nothing():
    assert ssh_ports.sshd_listen_ports(NGINX + OTHER_SOCKET + NO_SERVICE + SOCKET_INACTIVE) == []


@pytest.mark.parametrize(
    ("ssh_connection", "expected"),
    [
        ("172.17.0.1 51234 172.17.0.2 22", [22]),
        ("2001:db8::1 51234 2001:db8::2 2200", [2200]),
        ("", []),
        (None, []),
        ("garbage", []),
    ],
)
def test_the_hosts_end_of_ansibles_connection(ssh_connection, expected):
    assert ssh_ports.ssh_connection_port(ssh_connection) == expected


def test_a_forwarded_port_on_the_controller_changes_nothing():
    """Docker publishes the host's 22 at 32771 on the controller: the host sees 22."""
    assert ssh_ports.firewall_ssh_ports(SSHD + SERVICE, "172.17.0.1 40022 172.17.0.2 22") == [22]


def test_every_source_together_each_port_once():
    report = SSHD + SERVICE + socket_unit("[::]:2222")
    assert ssh_ports.firewall_ssh_ports(report, "10.0.0.1 1 10.0.0.2 22", ["2200", 22]) == [
        22,
        2200,
        2222,
    ]


def test_nothing_found_is_empty_so_the_role_can_refuse():
    assert ssh_ports.firewall_ssh_ports(NGINX + NO_SERVICE + SOCKET_INACTIVE, "", []) == []
