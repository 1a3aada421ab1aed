"""The benchmark's own local hosts: Debian containers with systemd and sshd, made by
scripts/target-host.sh exactly as `make demo` makes its hosts, and provisioned over SSH.

Every container is named flaskstack-bench-*, and only those are ever removed. The
servers run on one CPU and the load generator (and Ansible, the controller) on another,
so that a client never takes CPU from the server it measures. Where Ansible finds each
host is written to .bench/state.json, which bench/inventory/ reads.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = ROOT / ".bench"
KEY = STATE_DIR / "id_ed25519"
PREFIX = "flaskstack-bench-"
# The CPU the servers get, and the one the client and the controller get.
SERVER_CPU = "0"
CLIENT_CPU = "1"
CLIENT = PREFIX + "client"
CLIENT_IMAGE = "flaskstack-bench-client:bookworm"


def docker(*argv: str, check: bool = True, capture: bool = True) -> str:
    result = subprocess.run(
        ["docker", *argv], check=False, capture_output=capture, text=True, cwd=ROOT
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(argv[:3])} ... failed: {result.stderr.strip()}")
    return (result.stdout or "").strip()


def _state() -> dict:
    path = STATE_DIR / "state.json"
    return json.loads(path.read_text()) if path.exists() else {"ssh_ports": {}, "addresses": {}}


def _save(state: dict) -> None:
    (STATE_DIR / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    # How Ansible reaches each host by its name (bench/inventory/group_vars/all/connection.yml).
    subprocess.run(
        [
            str(ROOT / "scripts/target-host.sh"),
            "ssh-config",
            str(STATE_DIR / "ssh_config"),
            str(KEY),
            *sorted(state["ssh_ports"]),
        ],
        check=True,
        cwd=ROOT,
    )


def prepare() -> None:
    """The state directory and the SSH key every bench host trusts."""
    STATE_DIR.mkdir(exist_ok=True)
    if not KEY.exists():
        subprocess.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "flaskstack-bench",
                "-f",
                str(KEY),
            ],
            check=True,
        )


def address(name: str) -> str:
    return docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name)


def start(name: str, image: str = "flaskstack-target:bookworm") -> None:
    """Start a server host on the servers' CPU (a new one: its old container goes first)."""
    remove([name])
    subprocess.run(
        [
            str(ROOT / "scripts/target-host.sh"),
            "start",
            name,
            image,
            f"{KEY}.pub",
            "--cpuset-cpus",
            SERVER_CPU,
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    state = _state()
    port = subprocess.run(
        [str(ROOT / "scripts/target-host.sh"), "port", name, "22"],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    state["ssh_ports"][name] = int(port)
    state["addresses"][name] = address(name)
    _save(state)


def wait_for_ssh(inventory: Path) -> None:
    subprocess.run(
        [str(ROOT / "scripts/target-host.sh"), "wait", str(inventory)], check=True, cwd=ROOT
    )


def exec_(name: str, *argv: str, check: bool = True) -> str:
    return docker("exec", name, *argv, check=check)


def install_offline(name: str, directory: str) -> None:
    """Install the wheels in DIRECTORY/wheelhouse into a new virtualenv DIRECTORY/venv on
    host NAME, with no index: what any install of a release must do at least, done as the
    role does it (a virtualenv without pip, pip run from the wheelhouse's own wheel, which
    it does not install). DIRECTORY must not be under /tmp (a tmpfs, which `docker cp`
    cannot reach, mounted noexec)."""
    wheelhouse = f"{directory}/wheelhouse"
    exec_(
        name,
        "sh",
        "-c",
        f"python3 -m venv --without-pip {directory}/venv && {directory}/venv/bin/python "
        f"$(ls {wheelhouse}/pip-*.whl)/pip install --quiet --disable-pip-version-check --no-index "
        f"--find-links {wheelhouse} $(ls {wheelhouse}/*.whl | grep -v '/pip-[^/]*$')",
    )


def remove(names: list[str]) -> None:
    for name in names:
        if not name.startswith(PREFIX):
            raise ValueError(f"{name} is not a bench container")
        docker("rm", "--force", "--volumes", name, check=False)
    state = _state()
    for name in names:
        state["ssh_ports"].pop(name, None)
        state["addresses"].pop(name, None)
    if STATE_DIR.exists():
        _save(state)


def remove_all() -> None:
    """Every flaskstack-bench-* container, and no other."""
    names = docker("ps", "--all", "--format", "{{.Names}}").splitlines()
    for name in names:
        if name.startswith(PREFIX):
            docker("rm", "--force", "--volumes", name, check=False)
    # Forget every host, also those whose containers went some other way.
    if STATE_DIR.exists():
        _save({"ssh_ports": {}, "addresses": {}})


# The client image: the Debian 12 target image with wrk (Debian's package), built once.
_CLIENT_RECIPE = "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk"


def client_image() -> None:
    recipe = hashlib.sha256(_CLIENT_RECIPE.encode()).hexdigest()[:16]
    label = '{{ index .Config.Labels "flaskstack.bench.recipe" }}'
    if docker("image", "inspect", "-f", label, CLIENT_IMAGE, check=False) == recipe:
        return
    print(f"==> Building the load generator's image {CLIENT_IMAGE} (wrk from Debian)")
    builder = PREFIX + "client-build"
    remove([builder])
    docker("run", "--name", builder, "flaskstack-target:bookworm", "sh", "-c", _CLIENT_RECIPE)
    docker(
        "commit",
        "--change",
        f"LABEL flaskstack.bench.recipe={recipe}",
        "--change",
        'CMD ["sleep", "infinity"]',
        builder,
        CLIENT_IMAGE,
    )
    remove([builder])


def start_client() -> None:
    """The load generator, on its own CPU (add_host_name tells it where the sites are)."""
    client_image()
    remove([CLIENT])
    docker(
        "run",
        "--detach",
        "--name",
        CLIENT,
        "--hostname",
        CLIENT,
        "--cpuset-cpus",
        CLIENT_CPU,
        CLIENT_IMAGE,
        "sleep",
        "infinity",
    )
    state = _state()
    state["addresses"][CLIENT] = address(CLIENT)
    _save(state)


def add_host_name(name: str, host: str) -> None:
    """Let the client resolve NAME to a server host: the sites answer only to their names,
    and TLS needs the name for SNI."""
    line = f"{address(host)} {name}"
    exec_(
        CLIENT,
        "sh",
        "-c",
        f"grep -v ' {name}$' /etc/hosts > /tmp/hosts; echo '{line}' >> /tmp/hosts; "
        "cat /tmp/hosts > /etc/hosts",
    )
