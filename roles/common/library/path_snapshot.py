#!/usr/bin/python
"""Take, restore or drop a snapshot of files and directories on a managed host.

A change that must be all or nothing (nginx's configuration, the app's release links
and units) snapshots every path it may touch, makes the change, proves it, and either
drops the snapshot or restores it. Restoring puts each path back exactly as it was:
changed files, removed files, new files, links and their targets, owners and modes.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: path_snapshot
short_description: Snapshot paths before a change, and restore or drop the snapshot after it
description:
  - C(state=taken) copies each path (with cp -a: owners, modes, links kept) into a new
    private directory and returns it. A path that does not exist is recorded as absent.
  - C(state=restored) puts every path back as it was when the snapshot was taken
    (removing what did not exist then), reports which files differed, and drops the snapshot.
  - C(state=compared) reports which files differ from the snapshot, so that the caller
    applies (reloads, restarts) exactly what changed, and changes nothing.
  - C(state=dropped) deletes the snapshot.
  - Taking, comparing and dropping change nothing the host serves, so they never report
    a change. In check mode nothing is done.
options:
  state:
    description: What to do.
    type: str
    choices: [taken, compared, restored, dropped]
    required: true
  paths:
    description: Absolute paths to snapshot, for I(state=taken).
    type: list
    elements: path
    default: []
  snapshot:
    description: The directory returned by I(state=taken), for the other states.
    type: path
  root:
    description: Directory under which snapshots are made (mode 0700).
    type: path
    default: /var/backups/flaskstack
"""

RETURN = r"""
snapshot:
  description: Directory holding the snapshot; empty in check mode.
  type: str
  returned: state=taken
differed:
  description: Every file, link or directory that differs from the snapshot.
  type: list
  elements: str
  returned: state=compared
restored:
  description: Every file, link or directory that differed from the snapshot and was put back.
  type: list
  elements: str
  returned: state=restored
"""

import errno
import json
import os
import shutil
import stat
import subprocess
import tempfile

from ansible.module_utils.basic import AnsibleModule

MANIFEST = "manifest.json"


def take(paths, root):
    """Copy each path into a new snapshot directory; returns the directory."""
    os.makedirs(root, mode=0o700, exist_ok=True)
    snapshot = tempfile.mkdtemp(prefix="snapshot-", dir=root)
    entries = []
    for index, path in enumerate(paths):
        copy = os.path.join(snapshot, str(index))
        existed = os.path.lexists(path)
        if existed:
            # cp -a keeps owners, modes, times and symlinks as symlinks; shutil keeps no owners.
            subprocess.run(["cp", "-a", "--no-target-directory", path, copy], check=True)
        entries.append({"path": path, "existed": existed, "copy": copy})
    with open(os.path.join(snapshot, MANIFEST), "w") as handle:
        json.dump(entries, handle)
    return snapshot


def _describe(path):
    """What a comparison needs to know of one file system entry, or None if absent."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    kind = stat.S_IFMT(info.st_mode)
    described = (kind, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    if stat.S_ISLNK(info.st_mode):
        return (*described, os.readlink(path))
    if stat.S_ISREG(info.st_mode):
        with open(path, "rb") as handle:
            return (*described, handle.read())
    return described


def _children(path):
    if os.path.isdir(path) and not os.path.islink(path):
        return set(os.listdir(path))
    return set()


def differences(current, copy, shown_as=None):
    """Paths under CURRENT that differ from their copy under COPY (None: absent)."""
    shown_as = shown_as or current
    if _describe(current) != (_describe(copy) if copy else None):
        return [shown_as]
    found = []
    for name in sorted(_children(current) | (_children(copy) if copy else set())):
        found += differences(
            os.path.join(current, name),
            os.path.join(copy, name) if copy else None,
            os.path.join(shown_as, name),
        )
    return found


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _put_back(copy, path):
    """Move the copy to PATH. A file or link replaces the current one atomically."""
    if os.path.isdir(copy) and not os.path.islink(copy):
        _remove(path)
    elif os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    try:
        os.rename(copy, path)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        # Another file system: copy next to the path first, then rename into place.
        staged = f"{path}.restoring"
        subprocess.run(["cp", "-a", "--no-target-directory", copy, staged], check=True)
        _put_back(staged, path)


def _entries(snapshot):
    with open(os.path.join(snapshot, MANIFEST)) as handle:
        return json.load(handle)


def compare(snapshot):
    """Every path that differs from the snapshot."""
    found = []
    for entry in _entries(snapshot):
        found += differences(entry["path"], entry["copy"] if entry["existed"] else None)
    return found


def restore(snapshot):
    """Put every path of the snapshot back; returns what differed."""
    restored = []
    for entry in _entries(snapshot):
        copy = entry["copy"] if entry["existed"] else None
        changed = differences(entry["path"], copy)
        if changed:
            restored += changed
            if copy:
                _put_back(copy, entry["path"])
            else:
                _remove(entry["path"])
    drop(snapshot)
    return restored


def drop(snapshot):
    shutil.rmtree(snapshot, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {
                "type": "str",
                "choices": ["taken", "compared", "restored", "dropped"],
                "required": True,
            },
            "paths": {"type": "list", "elements": "path", "default": []},
            "snapshot": {"type": "path"},
            "root": {"type": "path", "default": "/var/backups/flaskstack"},
        },
        required_if=[
            ("state", state, ["snapshot"]) for state in ("compared", "restored", "dropped")
        ],
        supports_check_mode=True,
    )
    params = module.params
    relative = [path for path in params["paths"] if not os.path.isabs(path)]
    if relative:
        module.fail_json(msg=f"paths: expected absolute paths, got {relative}")
    if module.check_mode:
        module.exit_json(changed=False, snapshot="", differed=[], restored=[])
    if params["state"] == "taken":
        module.exit_json(changed=False, snapshot=take(params["paths"], params["root"]))
    if not params["snapshot"]:
        # A snapshot taken in check mode: there is nothing to compare, restore or drop.
        module.exit_json(changed=False, differed=[], restored=[])
    if params["state"] == "compared":
        module.exit_json(changed=False, differed=compare(params["snapshot"]))
    if params["state"] == "restored":
        restored = restore(params["snapshot"])
        module.exit_json(changed=bool(restored), restored=restored)
    drop(params["snapshot"])
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
