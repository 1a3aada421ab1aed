"""The roles' fact scripts (common's flaskstack_fact_script filter): what the facts gathered at
the start of a run say about a host, so that a role skips a task with nothing to do.
A key that says true wrongly would skip work that was needed: each must be true only
when everything its task would make sure of holds. Run here against stub commands."""

import json
import os
import re
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError
from library import ROOT, role_module

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


host_state = role_module("common", "host_state", "filter_plugins")


def _probes(role: str, **variables) -> dict:
    """ROLE's host probes from its vars/main.yml, templated with VARIABLES."""
    probes = yaml.safe_load((ROOT / f"roles/{role}/vars/main.yml").read_text())[
        f"_{role}_host_probes"
    ]
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.filters["dirname"] = os.path.dirname

    def render(value):
        if isinstance(value, dict):
            return {key: render(item) for key, item in value.items()}
        if not isinstance(value, str) or "{{" not in value:
            return value
        # "{{ name }}" alone is the variable itself (a list stays a list), as in Ansible.
        alone = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", value)
        if alone:
            return variables[alone.group(1)]
        return environment.from_string(value).render(**variables)

    return render(probes)


def held(answered: dict, probes: dict) -> dict:
    """ANSWERED (what the demo role's script printed) read as the role reads it."""
    facts = {"ansible_local": {"flaskstack_demo": answered}}
    return host_state.flaskstack_probes_held(facts, probes, "demo")


@pytest.fixture
def host(tmp_path):
    """host(probes, **state): the fact script of PROBES run with stub commands (STATE: the
    packages installed, units active and enabled), read as the role reads it: a bool per key."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in STUBS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)

    def run(probes: dict, **state) -> dict:
        path = tmp_path / "facts.fact"
        path.write_text(host_state.flaskstack_fact_script(probes, "demo"))
        path.chmod(0o755)
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", **{k: " ".join(v) for k, v in state.items()}}
        done = subprocess.run([str(path)], capture_output=True, text=True, env=env, check=True)
        return held(json.loads(done.stdout), probes)

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
    probes = _probes(
        "postgresql",
        _postgresql_packages=DB_PACKAGES,
        _postgresql_conf_dir=str(conf_dir),
        _postgresql_service="postgresql@17-main.service",
        _postgresql_tls_key=str(conf_dir / "tls/server.key"),
    )
    return conf_dir, probes


def _owned_by_the_tester(probes: dict, directory: Path, mode: int) -> dict:
    """DIRECTORY made with MODE, and PROBES expecting the tester (not postgres) to own it."""
    directory.mkdir(parents=True)
    directory.chmod(mode)
    user, group = (
        subprocess.run(["id", flag], capture_output=True, text=True, check=True).stdout.strip()
        for flag in ("-un", "-gn")
    )
    assert probes["tls_directory"]["owner"] == "postgres"
    return {**probes, "tls_directory": {**probes["tls_directory"], "owner": user, "group": group}}


def test_a_database_host_with_everything_in_place_says_so(host, postgresql):
    conf_dir, probes = postgresql
    probes = _owned_by_the_tester(probes, conf_dir / "tls", 0o700)
    said = host(probes, **EVERYTHING)
    assert said == {
        "packages": True,
        "cluster": True,
        "cluster_started": True,
        "tls_directory": True,
        "backup_timer_started": True,
    }


def test_a_new_database_host_says_nothing_is_done(host, postgresql):
    _, probes = postgresql
    said = host(probes, INSTALLED=[], ACTIVE=[], ENABLED=[])
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
    conf_dir, probes = postgresql
    probes = _owned_by_the_tester(probes, conf_dir / "tls", 0o700)
    said = host(probes, **{**EVERYTHING, **undone})
    assert {name for name, done in said.items() if not done} == {key}


def test_a_tls_directory_with_another_mode_is_not_taken_as_done(host, postgresql):
    conf_dir, probes = postgresql
    probes = _owned_by_the_tester(probes, conf_dir / "tls", 0o755)
    said = host(probes, **EVERYTHING)
    assert {name for name, done in said.items() if not done} == {"tls_directory"}


@pytest.fixture
def firewall():
    return _probes("firewall")


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


def test_only_the_probes_functions_are_in_a_script():
    script = host_state.flaskstack_fact_script({"up": {"started": "a.service"}}, "demo")
    assert "started()" in script and "enabled()" in script
    assert "installed()" not in script and "directory()" not in script


def test_arguments_are_quoted_for_the_shell(host, tmp_path):
    odd = tmp_path / "a dir; touch pwned"
    odd.mkdir()
    probes = {"there": {"exists": str(odd)}}
    assert host(probes, INSTALLED=[], ACTIVE=[], ENABLED=[]) == {"there": True}
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("probes", "message"),
    [
        ({"x": {"running": "a"}}, "host probe 'x': expected a mapping with exactly one of"),
        ({"x": {"exists": "/a", "started": "b"}}, "exactly one of"),
        ({"x": {"installed": []}}, "host probe 'x': installed expects a list of packages"),
        ({"x": {"directory": "/a", "owner": "root"}}, "directory also needs group, mode"),
        ({"Bad-Key": {"exists": "/a"}}, "host probe 'Bad-Key': a key is lower case"),
        ({}, "demo: host probes must be a non-empty mapping"),
    ],
)
def test_a_malformed_probe_is_refused_by_its_key(probes, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        host_state.flaskstack_fact_script(probes, "demo")


def test_the_file_entry_is_the_script_where_ansible_reads_it():
    entry = host_state.flaskstack_fact_file({"x": {"exists": "/a"}}, "demo")
    assert entry["path"] == "/etc/ansible/facts.d/flaskstack_demo.fact"
    assert entry["mode"] == "0755"
    assert entry["content"].startswith("#!/bin/sh\n")


def test_an_answer_to_the_probe_as_it_was_is_not_taken_for_the_probe_as_it_is(host, tmp_path):
    # The host's script was written when the role needed nginx only; this run wants
    # certbot too. The host's answer is about the old list: apt must run.
    script = tmp_path / "old.fact"
    script.write_text(
        host_state.flaskstack_fact_script({"packages": {"installed": ["nginx"]}}, "x")
    )
    script.chmod(0o755)
    env = {"PATH": f"{tmp_path}/bin:/usr/bin:/bin", "INSTALLED": "nginx"}
    answered = json.loads(
        subprocess.run([str(script)], capture_output=True, text=True, env=env, check=True).stdout
    )
    now = {"packages": {"installed": ["nginx", "certbot"]}}
    assert held(answered, now) == {"packages": False}
    assert host(now, INSTALLED=["nginx", "certbot"]) == {"packages": True}


@pytest.mark.parametrize(
    "facts", [{}, {"ansible_local": {}}, {"ansible_local": {"flaskstack_demo": ""}}]
)
def test_no_answer_reads_as_not_done(facts):
    probes = {"packages": {"installed": ["nginx"]}}
    assert host_state.flaskstack_probes_held(facts, probes, "demo") == {"packages": False}


def test_a_bare_true_or_another_roles_answer_reads_as_not_done():
    probes = {"packages": {"installed": ["nginx"]}}
    assert held({"packages": True}, probes) == {"packages": False}
    theirs = host_state._probe_id("installed", ["nginx"])
    facts = {"ansible_local": {"flaskstack_other": {"packages": theirs}}}
    assert host_state.flaskstack_probes_held(facts, probes, "demo") == {"packages": False}


def test_a_user_is_there_only_with_its_group_home_and_shell(host):
    user, group = (
        subprocess.run(["id", flag], capture_output=True, text=True, check=True).stdout.strip()
        for flag in ("-un", "-gn")
    )
    home, shell = (
        subprocess.run(["getent", "passwd", user], capture_output=True, text=True, check=True)
        .stdout.strip()
        .split(":")[5:7]
    )
    probe = {"group": group, "home": home, "shell": shell}
    assert host({"u": {"user": user, **probe}}) == {"u": True}
    assert host({"u": {"user": user, **probe, "shell": "/usr/sbin/nologin-not"}}) == {"u": False}
    assert host({"u": {"user": "no-such-user-here", **probe}}) == {"u": False}
