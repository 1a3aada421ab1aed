"""Each role's three descriptions of its interface agree: defaults, argument_specs, README."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if path.is_dir())


def _load(role: str, relative: str):
    return yaml.safe_load((ROOT / "roles" / role / relative).read_text())


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_name_the_same_variables(role):
    defaults = set(_load(role, "defaults/main.yml"))
    specs = set(_load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"])
    assert sorted(defaults - specs) == [], "in defaults/main.yml only"
    assert sorted(specs - defaults) == [], "in meta/argument_specs.yml only"


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_defaults_match_defaults_file(role):
    defaults = _load(role, "defaults/main.yml")
    options = _load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    mismatched = {
        name: (spec.get("default"), defaults[name])
        for name, spec in options.items()
        if name in defaults and spec.get("default") != defaults[name]
    }
    assert not mismatched


@pytest.mark.parametrize("role", ROLES)
def test_every_public_variable_is_described(role):
    options = _load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert [name for name, spec in options.items() if not spec.get("description")] == []
    assert all(name.startswith(f"{role}_") for name in options)


def test_role_readme_tables_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "role_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
