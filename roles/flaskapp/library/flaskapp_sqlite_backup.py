#!/usr/bin/python
"""Back up the app's SQLite databases while the app keeps running.

Before a migration the flaskapp role copies every SQLite database in the app's state
directory with SQLite's online backup API (a consistent copy even while gunicorn writes),
and keeps the newest few copies of each.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: flaskapp_sqlite_backup
short_description: Online backups of the SQLite databases in a directory
description:
  - Finds every SQLite database directly in I(directory) (by its file header), copies each
    with SQLite's backup API into I(dest) as NAME-TIMESTAMP-LABEL.sqlite3 (mode 0600),
    and removes all but the newest I(keep) copies of each database.
  - Run it as the user that owns the databases, so that SQLite's side files stay theirs.
options:
  directory:
    description: Directory holding the databases (not searched recursively).
    type: path
    required: true
  dest:
    description: Directory the copies go to; it must exist.
    type: path
    required: true
  label:
    description: Put in each copy's name, such as the release about to migrate.
    type: str
    required: true
  keep:
    description: Copies kept per database, the newest ones.
    type: int
    default: 5
"""

RETURN = r"""
backups:
  description: The copies made by this run.
  type: list
  elements: str
  returned: always
removed:
  description: Older copies removed to keep I(keep) per database.
  type: list
  elements: str
  returned: always
"""

import os
import re
import sqlite3
import time

from ansible.module_utils.basic import AnsibleModule

SQLITE_HEADER = b"SQLite format 3\x00"
# NAME-YYYYmmddTHHMMSSZ-LABEL.sqlite3
COPY_NAME = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z)-(?P<label>[^/]*)\.sqlite3$")


def databases(directory):
    """The SQLite databases directly in DIRECTORY, by file header (not by extension)."""
    found = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.is_file(follow_symlinks=False):
            with open(entry.path, "rb") as handle:
                if handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER:
                    found.append(entry.path)
    return found


def backup(database, dest, label, now=None):
    """A consistent copy of DATABASE in DEST, made while others may write to it."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    name = os.path.splitext(os.path.basename(database))[0]
    copy = os.path.join(dest, f"{name}-{stamp}-{label}.sqlite3")
    partial = copy + ".partial"
    source = sqlite3.connect(database)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    os.chmod(partial, 0o600)
    os.replace(partial, copy)
    return copy


def prune(dest, keep):
    """Remove all but the KEEP newest copies of each database; returns what went."""
    copies = {}
    for entry in os.listdir(dest):
        match = COPY_NAME.match(entry)
        if match:
            copies.setdefault(match["name"], []).append((match["stamp"], entry))
    removed = []
    for versions in copies.values():
        for _stamp, entry in sorted(versions, reverse=True)[keep:]:
            os.unlink(os.path.join(dest, entry))
            removed.append(os.path.join(dest, entry))
    return sorted(removed)


def main():
    module = AnsibleModule(
        argument_spec={
            "directory": {"type": "path", "required": True},
            "dest": {"type": "path", "required": True},
            "label": {"type": "str", "required": True},
            "keep": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    params = module.params
    if not re.match(r"^[A-Za-z0-9._-]+$", params["label"]):
        module.fail_json(msg=f"label: letters, digits, . _ - only, got {params['label']!r}")
    if params["keep"] < 1:
        module.fail_json(msg=f"keep: at least 1, got {params['keep']}")
    if not os.path.isdir(params["directory"]):
        # A first deploy: the app has made no database yet, so there is nothing to lose.
        module.exit_json(changed=False, backups=[], removed=[])
    found = databases(params["directory"])
    if module.check_mode or not found:
        module.exit_json(changed=bool(found), backups=[], removed=[])
    made = [backup(database, params["dest"], params["label"]) for database in found]
    module.exit_json(changed=True, backups=made, removed=prune(params["dest"], params["keep"]))


if __name__ == "__main__":
    main()
