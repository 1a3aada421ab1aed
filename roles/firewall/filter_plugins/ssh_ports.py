"""The firewall role's SSH ports (tasks/ssh_ports.yml) as a Jinja filter: every port that
sshd or ssh.socket listens on, read on the host, and the host's end of the connection
Ansible is using. A port forwarded on the controller's side (Docker's, Vagrant's 2222, a
NAT's) never appears here, so it can never be the only one admitted. Pure functions of
what the task reads, unit-tested in tests/test_firewall_filters.py."""

from __future__ import annotations

import re

# `ss -Htlnp`: a listening TCP socket and the processes holding it, such as
#   LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=37,fd=3))
_SS_LINE = re.compile(r"^LISTEN\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+\s+users:\((?P<users>.*)\)\s*$")
# `systemctl show --property=MainPID ssh.service`: the daemon's pid, 0 when it is not running.
_MAIN_PID = re.compile(r"^MainPID=(\d+)$", re.M)
# `systemctl show --property=ActiveState,Listen ssh.socket`: Listen=[::]:22 (Stream)
_SOCKET_LISTEN = re.compile(r"^Listen=\S*?(?P<port>\d+) \(Stream\)$", re.M)


def _port(local: str) -> int:
    """The port of ss's local address: 0.0.0.0:22, [::]:22, *:22, 127.0.0.1%lo:22."""
    return int(local.rsplit(":", 1)[1])


def sshd_listen_ports(report: str) -> list[int]:
    """Ports the SSH daemon listens on, and ssh.socket's when that socket unit is active.

    report: the output of `ss -Htlnp`, then `systemctl show --property=MainPID ssh.service`,
    then `systemctl show --property=ActiveState,Listen ssh.socket` (an inactive or missing
    socket unit says ActiveState=inactive and is ignored). Only the daemon's own sockets
    count: a session's processes are called sshd too (sshd-session on Debian 13), and a
    port one forwards (ssh -R, X11) must not be opened to the world, nor change the rules
    from one run to the next. Without ssh.service's pid (sshd started some other way),
    every socket an sshd process holds counts.
    """
    main_pid = _MAIN_PID.search(report)
    owner = f"pid={main_pid[1]}," if main_pid and main_pid[1] != "0" else '("sshd",'
    ports = set()
    for line in report.splitlines():
        match = _SS_LINE.match(line.strip())
        if match and owner in match["users"]:
            ports.add(_port(match["local"]))
    if re.search(r"^ActiveState=active$", report, re.M):
        ports.update(int(port) for port in _SOCKET_LISTEN.findall(report))
    return sorted(ports)


def ssh_connection_port(ssh_connection: str | None) -> list[int]:
    """[the server's port] of SSH_CONNECTION ("client_ip client_port server_ip server_port"),
    or [] when Ansible does not connect over SSH (docker exec, local) or sudo dropped it."""
    fields = (ssh_connection or "").split()
    return [int(fields[3])] if len(fields) == 4 and fields[3].isdigit() else []


def firewall_ssh_ports(report: str, ssh_connection: str | None, extra=()) -> list[int]:
    """Every port SSH must be admitted on: what sshd and ssh.socket listen on, the port of
    Ansible's own connection, and the operator's firewall_ssh_ports; sorted, each once."""
    ports = set(sshd_listen_ports(report)) | set(ssh_connection_port(ssh_connection))
    return sorted(ports | {int(port) for port in extra})


class FilterModule:
    def filters(self):
        return {"firewall_ssh_ports": firewall_ssh_ports}
