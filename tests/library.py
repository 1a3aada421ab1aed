"""Import a role's custom module or filter plugin as a plain Python module, and render a
role's template, for unit tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import jinja2

ROOT = Path(__file__).resolve().parents[1]


def role_module(role: str, name: str, kind: str = "library") -> ModuleType:
    """roles/ROLE/KIND/NAME.py: a module (library) or a filter plugin (filter_plugins)."""
    return _load(ROOT / "roles" / role / kind / f"{name}.py")


def playbook_module(name: str) -> ModuleType:
    """playbooks/library/NAME.py: a module the playbooks use."""
    return _load(ROOT / "playbooks" / "library" / f"{name}.py")


def _load(path: Path) -> ModuleType:
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def role_template(role: str, path: str, **variables) -> str:
    """roles/ROLE/templates/PATH rendered with VARIABLES (every one it uses: undefined
    fails), and Ansible's `comment` filter for its header."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "roles" / role / "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["comment"] = lambda text: f"# {text}"
    return environment.get_template(path).render(ansible_managed="Managed by Ansible", **variables)
