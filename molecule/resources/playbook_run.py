"""Run the project's playbooks against a Molecule scenario's instances from a test.

Some behaviours can only be shown by running the play again (a rejected change, a
check-mode run, a second release): the tests do exactly what an operator would.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import testinfra
import yaml

PROJECT = Path(__file__).resolve().parents[2]
RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


@dataclass
class PlaybookRun:
    rc: int
    output: str

    def recap(self) -> dict[str, dict[str, int]]:
        """Per host: ok, changed, unreachable and failed counts from PLAY RECAP."""
        return {
            host: {"ok": int(ok), "changed": int(ch), "unreachable": int(un), "failed": int(fa)}
            for host, ok, ch, un, fa in RECAP.findall(self.output)
        }


def scenario_config() -> dict:
    """The scenario's configuration as Molecule runs it: the shared one merged with the
    scenario's molecule.yml, ${VARIABLES} expanded (Molecule writes it to MOLECULE_FILE)."""
    return yaml.safe_load(Path(os.environ["MOLECULE_FILE"]).read_text())


def scenario_vars() -> dict:
    """Variables the scenario's molecule.yml gives every host (its group_vars for all)."""
    provisioner = scenario_config().get("provisioner", {})
    return provisioner.get("inventory", {}).get("group_vars", {}).get("all", {})


def app_name() -> str:
    """The app's name in this scenario (flaskapp_name, or the role's default)."""
    return scenario_vars().get("flaskapp_name", "flaskapp")


def scenario_options() -> list[str]:
    """The command-line options the scenario gives Molecule's own runs (such as a vault)."""
    options = scenario_config().get("provisioner", {}).get("options", {})
    return [arg for name, value in options.items() for arg in (f"--{name}", str(value))]


def scenario_hosts() -> list[str]:
    """Names of the scenario's instances, from Molecule's inventory."""
    inventory = yaml.safe_load(Path(os.environ["MOLECULE_INVENTORY_FILE"]).read_text())
    return sorted(inventory["all"]["hosts"])


def instance(name: str):
    """A testinfra host for one of the scenario's instances, by name."""
    return testinfra.get_host(
        f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"]
    )


def run_playbook(playbook: str, *args: str, extra_vars: dict | None = None) -> PlaybookRun:
    """ansible-playbook PLAYBOOK against the scenario's inventory; never raises on failure."""
    argv = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        # The directory: Molecule's inventory file plus the groups molecule.yml adds.
        "-i",
        str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent),
        *scenario_options(),
        str(PROJECT / playbook),
        *args,
    ]
    if extra_vars is not None:
        argv += ["--extra-vars", json.dumps(extra_vars)]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=900)
    return PlaybookRun(proc.returncode, proc.stdout + proc.stderr)


def deploy(source, *args: str, **extra_vars) -> PlaybookRun:
    """playbooks/deploy.yml with flaskapp_source=SOURCE (a project directory or a wheel)."""
    return run_playbook(
        "playbooks/deploy.yml", *args, extra_vars={"flaskapp_source": str(source), **extra_vars}
    )


@functools.cache
def _inventory() -> dict:
    """`ansible-inventory --list` of the scenario's inventory (also what molecule.yml and
    prepare playbooks add beside Molecule's file)."""
    inventory_dir = str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent)
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", inventory_dir, "--list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def inventory_groups() -> dict[str, list[str]]:
    """Every group of the scenario's inventory (also those molecule.yml adds) and its hosts."""
    return {
        group: sorted(data.get("hosts", []))
        for group, data in _inventory().items()
        if group != "_meta" and isinstance(data, dict)
    }


def inventory_hostvars(name: str) -> dict:
    """The inventory's variables for one host, as Ansible reads them (not templated)."""
    return _inventory()["_meta"]["hostvars"][name]


def vaulted(name: str) -> str:
    """A secret from the example production inventory's vault, as the tests know it."""
    vault = PROJECT / "inventory/production/group_vars/all/vault.yml"
    password = PROJECT / "inventory/production/example-vault-password"
    ansible_vault = str(Path(sys.executable).parent / "ansible-vault")
    plain = subprocess.run(
        [ansible_vault, "view", "--vault-password-file", str(password), str(vault)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return yaml.safe_load(plain)[name]
