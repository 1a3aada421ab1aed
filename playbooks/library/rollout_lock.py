#!/usr/bin/python
"""One rollout at a time: a lock that deploy.yml and rollback.yml take on every app host
before they change what serves, and that the run holding it removes at its end.

The lock is a directory, made with mkdir (atomic: of two runs, one makes it and the other
finds it), holding a file that names the run. It lives under /run, so a reboot clears it.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout_lock
short_description: Take or release a host's rollout lock, naming the run that holds it
description:
  - With I(state=held), makes the directory I(path) and writes I(owner) in it. If it
    exists already and names another owner, fails with I(held_message), in which
    C({holder}) stands for the owner found; with I(force), takes it over instead.
  - With I(state=released), removes I(path) if it names I(owner); a lock another run
    took over (with I(force)) is left to that run.
  - Never reports a change: a run takes and releases its lock, and leaves the host as it
    found it.
options:
  path:
    description: The lock's directory.
    type: path
    required: true
  owner:
    description: Who holds the lock, as the next run reads it (run id, user, controller, time).
    type: str
    required: true
  state:
    description: C(held) to take the lock, C(released) to give it up.
    type: str
    choices: [held, released]
    default: held
  force:
    description: Take a lock that another run holds (one that was killed and left it).
    type: bool
    default: false
  held_message:
    description: The failure message when another run holds the lock; C({holder}) is replaced.
    type: str
    default: "Another run holds the lock: {holder}"
"""

RETURN = r"""
broken:
  description: The owner of the lock that I(force) took over; "" when none was.
  type: str
  returned: always
released:
  description: Whether I(state=released) removed the lock.
  type: bool
  returned: always
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule

OWNER_FILE = "owner"
# A lock whose maker was killed between mkdir and writing its owner.
UNKNOWN = "a run that recorded no name"


class Held(Exception):
    """Another run holds the lock; the exception's text is its owner."""


def holder(path: str) -> str | None:
    """The owner written in the lock at PATH; None when there is no lock."""
    if not os.path.isdir(path):
        return None
    try:
        with open(os.path.join(path, OWNER_FILE), encoding="utf-8") as handle:
            return handle.read().strip() or UNKNOWN
    except FileNotFoundError:
        return UNKNOWN


def _write_owner(path: str, owner: str) -> None:
    partial = os.path.join(path, OWNER_FILE + ".partial")
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(owner + "\n")
    os.replace(partial, os.path.join(path, OWNER_FILE))


def take(path: str, owner: str, force: bool = False) -> str:
    """Hold the lock at PATH for OWNER. Returns the owner it took over ("" if none);
    raises Held when another owner holds it and FORCE is false."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        found = holder(path)
        if found == owner:
            return ""
        if not force:
            raise Held(found) from None
        _write_owner(path, owner)
        return found
    _write_owner(path, owner)
    return ""


def release(path: str, owner: str) -> bool:
    """Remove the lock at PATH if OWNER holds it; whether it did."""
    if holder(path) != owner:
        return False
    shutil.rmtree(path)
    return True


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "owner": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["held", "released"], "default": "held"},
            "force": {"type": "bool", "default": False},
            "held_message": {"type": "str", "default": "Another run holds the lock: {holder}"},
        },
        supports_check_mode=True,
    )
    path, owner, params = module.params["path"], module.params["owner"], module.params
    result = {"changed": False, "broken": "", "released": False}

    def held_by(found: str) -> None:
        module.fail_json(msg=params["held_message"].replace("{holder}", found), **result)

    if module.check_mode:
        # A check changes nothing, the lock included; another run's lock is still news.
        found = holder(path)
        if params["state"] == "held" and found not in (None, owner) and not params["force"]:
            held_by(found)
        module.exit_json(**result)
    if params["state"] == "released":
        result["released"] = release(path, owner)
        module.exit_json(**result)
    try:
        result["broken"] = take(path, owner, params["force"])
    except Held as held:
        held_by(str(held))
    if result["broken"]:
        module.warn(f"Took over the lock {path} from {result['broken']}.")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
