"""Import a role's custom module or filter plugin as a plain Python module, for unit tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def role_module(role: str, name: str, kind: str = "library") -> ModuleType:
    """roles/ROLE/KIND/NAME.py: a module (library) or a filter plugin (filter_plugins)."""
    path = ROOT / "roles" / role / kind / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
