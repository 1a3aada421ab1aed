"""Each role's interface has one source, meta/argument_specs.yml, and the rest agrees:
defaults/main.yml holds exactly its default values, the README table is generated from
it, and every entry point a playbook or role includes is described there."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if path.is_dir())
# Public roles have a main entry point; internal ones (common) only named ones.
PUBLIC_ROLES = [role for role in ROLES if (ROOT / "roles" / role / "tasks" / "main.yml").exists()]


def _load(role: str, relative: str):
    return yaml.safe_load((ROOT / "roles" / role / relative).read_text())


def _entry_points(role: str) -> dict:
    return _load(role, "meta/argument_specs.yml")["argument_specs"]


def _options(role: str) -> dict:
    """Every option of every entry point, by name."""
    return {
        name: spec
        for entry in _entry_points(role).values()
        for name, spec in entry.get("options", {}).items()
    }


@pytest.mark.parametrize("role", ROLES)
def test_defaults_hold_exactly_the_specified_defaults(role):
    defaults = _load(role, "defaults/main.yml") or {}
    specified = {
        name: spec["default"] for name, spec in _options(role).items() if "default" in spec
    }
    assert sorted(set(defaults) - set(specified)) == [], "in defaults/main.yml only"
    assert sorted(set(specified) - set(defaults)) == [], "in meta/argument_specs.yml only"
    assert {name: value for name, value in specified.items() if defaults[name] != value} == {}


@pytest.mark.parametrize("role", ROLES)
def test_every_variable_is_described_once_and_named_for_its_role(role):
    options = _options(role)
    assert [name for name, spec in options.items() if not spec.get("description")] == []
    # Users set role_*; _role_* are arguments one role passes to another's entry point.
    public = _entry_points(role).get("main", {}).get("options", {})
    assert [name for name in public if not name.startswith(f"{role}_")] == []
    assert [name for name in options if not name.lstrip("_").startswith(f"{role}_")] == []
    descriptions = [" ".join(str(spec["description"]).split()) for spec in options.values()]
    assert sorted(d for d in set(descriptions) if descriptions.count(d) > 1) == []


@pytest.mark.parametrize("role", PUBLIC_ROLES)
def test_defaults_file_carries_no_copy_of_the_descriptions(role):
    lines = (ROOT / "roles" / role / "defaults" / "main.yml").read_text().splitlines()
    comments = [line for line in lines if line.lstrip().startswith("#")]
    assert len(comments) <= 4, "describe variables in meta/argument_specs.yml, not here"


def _included_entry_points() -> set[tuple[str, str]]:
    """(role, entry point) of every include_role with tasks_from in roles/ and playbooks/."""
    found = set()
    pattern = re.compile(r"name: (\w+)\n\s+tasks_from: (\w+)")
    for path in [*ROOT.glob("roles/*/tasks/*.yml"), *ROOT.glob("playbooks/*.yml")]:
        found |= set(pattern.findall(path.read_text()))
    return found


def test_every_included_entry_point_has_argument_specs():
    missing = {
        (role, entry)
        for role, entry in _included_entry_points()
        if entry not in _entry_points(role)
    }
    assert missing == set()
    # The search finds includes at all (every role's certificates go through this one).
    assert ("common", "selfsigned_certificate") in _included_entry_points()


def test_role_readme_tables_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "role_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
