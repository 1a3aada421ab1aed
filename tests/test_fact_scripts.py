"""The roles' fact scripts (templates/etc/ansible/facts.d/): what the facts gathered at
the start of a run say about a host, so that a role skips a task with nothing to do.
A key that says true wrongly would skip work that was needed: each must be true only
when everything its task would make sure of holds. Run here against stub commands."""

import json
import os
import shlex
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# Commands the scripts ask, answering from the environment the test gives them.
STUBS = {
    "dpkg-query": """#!/bin/sh
for package; do :; done
case " $INSTALLED " in *" $package "*) printf installed ;; *) printf not-installed ;; esac
""",
    "systemctl": """#!/bin/sh
case $1 in
  is-active) for unit; do :; done
    case " $ACTIVE " in *" $unit "*) exit 0 ;; *) exit 3 ;; esac ;;
  is-enabled) case " $ENABLED " in *" $2 "*) echo enabled ;; *) echo disabled; exit 1 ;; esac ;;
esac
exit 1
""",
}


def _render(template: Path, variables: dict) -> str:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    environment.filters["comment"] = lambda text: "#\n# " + text + "\n#"
    environment.filters["quote"] = lambda text: shlex.quote(str(text))
    environment.filters["dirname"] = os.path.dirname
    return environment.from_string(template.read_text()).render(
        ansible_managed="Ansible managed", **variables
    )


@pytest.fixture
def host(tmp_path):
    """Run a rendered fact script with stub commands; returns what it says, parsed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in STUBS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)

    def run(script: str, **state) -> dict:
        path = tmp_path / "facts.fact"
        path.write_text(script)
        path.chmod(0o755)
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", **{k: " ".join(v) for k, v in state.items()}}
        done = subprocess.run([str(path)], capture_output=True, text=True, env=env, check=True)
        return json.loads(done.stdout)

    return run


DB_UNITS = ["postgresql@17-main.service", "flaskstack-pg-backup.timer"]
DB_PACKAGES = yaml.safe_load((ROOT / "roles/postgresql/vars/main.yml").read_text())[
    "_postgresql_packages"
]
# A database host where every task of the role has been done.
EVERYTHING = {"INSTALLED": DB_PACKAGES, "ACTIVE": DB_UNITS, "ENABLED": DB_UNITS}


@pytest.fixture
def postgresql(tmp_path):
    """The postgresql role's fact script, for a cluster whose directories are under tmp_path."""
    conf_dir = tmp_path / "etc/postgresql/17/main"
    return conf_dir, _render(
        ROOT / "roles/postgresql/templates/etc/ansible/facts.d/flaskstack_postgresql.fact.j2",
        {
            "_postgresql_packages": DB_PACKAGES,
            "_postgresql_conf_dir": str(conf_dir),
            "_postgresql_service": "postgresql@17-main.service",
            "_postgresql_tls_key": str(conf_dir / "tls/server.key"),
        },
    )


def _owned_by_the_tester(script: str, directory: Path, mode: int) -> str:
    """DIRECTORY made with MODE, and SCRIPT expecting the tester (not postgres) to own it."""
    directory.mkdir(parents=True)
    directory.chmod(mode)
    user, group = (
        subprocess.run(["id", flag], capture_output=True, text=True, check=True).stdout.strip()
        for flag in ("-un", "-gn")
    )
    assert "'postgres:postgres 700'" in script
    return script.replace("'postgres:postgres 700'", f"'{user}:{group} 700'")


def test_a_database_host_with_everything_in_place_says_so(host, postgresql):
    conf_dir, script = postgresql
    script = _owned_by_the_tester(script, conf_dir / "tls", 0o700)
    said = host(script, **EVERYTHING)
    assert said == {
        "packages": True,
        "cluster": True,
        "cluster_started": True,
        "tls_directory": True,
        "backup_timer_started": True,
    }


def test_a_new_database_host_says_nothing_is_done(host, postgresql):
    _, script = postgresql
    said = host(script, INSTALLED=[], ACTIVE=[], ENABLED=[])
    assert set(said.values()) == {False}


@pytest.mark.parametrize(
    "undone, key",
    [
        ({"INSTALLED": DB_PACKAGES[:-1]}, "packages"),
        ({"ACTIVE": DB_UNITS[1:]}, "cluster_started"),
        ({"ENABLED": DB_UNITS[1:]}, "cluster_started"),
        ({"ACTIVE": DB_UNITS[:1]}, "backup_timer_started"),
        ({"ENABLED": DB_UNITS[:1]}, "backup_timer_started"),
    ],
)
def test_one_thing_not_done_makes_its_key_false_and_no_other(host, postgresql, undone, key):
    conf_dir, script = postgresql
    script = _owned_by_the_tester(script, conf_dir / "tls", 0o700)
    said = host(script, **{**EVERYTHING, **undone})
    assert {name for name, done in said.items() if not done} == {key}


def test_a_tls_directory_with_another_mode_is_not_taken_as_done(host, postgresql):
    conf_dir, script = postgresql
    script = _owned_by_the_tester(script, conf_dir / "tls", 0o755)
    said = host(script, **EVERYTHING)
    assert {name for name, done in said.items() if not done} == {"tls_directory"}


@pytest.fixture
def firewall():
    return _render(
        ROOT / "roles/firewall/templates/etc/ansible/facts.d/flaskstack_firewall.fact.j2", {}
    )


@pytest.mark.parametrize(
    "installed, enabled, said",
    [
        (["nftables"], ["nftables.service"], {"nftables": True, "nftables_enabled": True}),
        (["nftables"], [], {"nftables": True, "nftables_enabled": False}),
        ([], [], {"nftables": False, "nftables_enabled": False}),
    ],
)
def test_a_host_says_whether_nftables_is_installed_and_loads_at_boot(
    host, firewall, installed, enabled, said
):
    assert host(firewall, INSTALLED=installed, ACTIVE=[], ENABLED=enabled) == said
