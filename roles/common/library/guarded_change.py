#!/usr/bin/python
"""Change files on a host all or nothing, in one round trip: write, validate, apply, check.

Every role's change that must not leave a host half changed goes through this module:
nginx's configuration (validated by nginx -t, applied by a reload), PostgreSQL's, the
firewall's rules, and the app's configuration, units and release links (applied by a
restart, checked by the app's health endpoint). When nothing differs it writes nothing,
runs nothing but an always-run check, keeps no snapshot, and costs one round trip.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: guarded_change
short_description: Write files and links; validate, apply and check them; undo it all on failure
description:
  - Compares each entry of I(files) with the host. Only the entries that differ are
    snapshotted (with cp -a: owners, modes, links kept) and then written, each file
    atomically (written beside its path, then renamed over it).
  - If anything changed, each I(validate) command runs; then each of I(commands) that a
    changed entry notifies, in the order of I(commands); then I(check). A check marked
    I(check_always) runs even when nothing changed.
  - If a validation fails, every changed entry is put back and the module fails with the
    validator's output. If a command or the check fails, the entries are put back, the
    notified commands run again (so the old files are what serves), the check runs again
    to say whether the host recovered, and the module fails saying what went wrong.
  - C(state=staged) only writes and validates, and keeps the snapshot (returned in
    I(snapshot)) for a later C(state=applied), which runs the commands the staged
    entries notify and the check, undoing the staged change on failure. Between the two,
    the caller may run steps that need the new files but must happen before they serve
    (a database migration). C(state=restored) puts a kept snapshot back;
    C(state=dropped) forgets it.
  - In check mode nothing is written or run; the result says what would change, with a
    diff of each file that is not secret.
options:
  state:
    description: What to do.
    type: str
    choices: [present, staged, applied, restored, dropped]
    default: present
  files:
    description:
      - The entries, each a dict with I(path) and I(state) (C(file), C(link), C(directory),
        C(absent); default C(file), or C(link) when I(src) is given).
      - C(file) takes I(content), or its content from I(secrets) when I(secret) is true.
        C(link) takes I(src), the link's target. C(file) and C(directory) take I(owner),
        I(group) and I(mode) (default root, root, 0644 or 0755).
      - I(notify) names the I(commands) to run when the entry changes.
      - A C(directory) with I(purge) true holds nothing but the entries listed under it:
        whatever else is in it is removed (snapshotted first, like any change), and each
        removal notifies what the directory's I(notify) names.
    type: list
    elements: dict
    default: []
  secrets:
    description: Contents of the entries marked I(secret), by path; never logged or shown in a diff.
    type: dict
    default: {}
  validate:
    description: Commands (argv lists) that must succeed once the changed entries are written.
    type: list
    elements: list
    default: []
  commands:
    description:
      - Commands run when a changed entry notifies them, each a dict with I(name) and
        I(argv), in this order. I(skip_if) lists names whose running makes this one unneeded
        (a reload after a restart). A command with I(always) runs on every call, changed
        or not, without counting as a change (making sure a service runs).
    type: list
    elements: dict
    default: []
  check:
    description:
      - What proves the change serves, after the commands. Either I(argv) (a command), or
        I(url) with I(unix_socket) (optional), I(status) (default 200), I(retries),
        I(delay) and I(timeout) (seconds per try).
    type: dict
  messages:
    description:
      - The failure message for a step, by step (C(write), C(validate), C(check) or a
        command's name), in the caller's words; the module's own otherwise. In it,
        C({output}) stands for what the step said, C({restored}) for the entries put back
        and C({step}) for the step. Whether the host recovered, and what failed on the
        way back, follow it.
    type: dict
    default: {}
  check_always:
    description: Run the check also when nothing changed.
    type: bool
    default: false
  keep_snapshot:
    description:
      - With C(state=present), keep the snapshot of what changed, for a later C(restored)
        or C(dropped).
    type: bool
    default: false
  snapshot:
    description: A kept snapshot, for C(applied), C(restored) and C(dropped).
    type: path
  root:
    description: Directory under which snapshots are made (mode 0700).
    type: path
    default: /var/backups/flaskstack
"""

RETURN = r"""
changed_paths:
  description: The entries that differed and were written (or would be, in check mode).
  type: list
  elements: str
ran:
  description: The commands that ran, by name.
  type: list
  elements: str
snapshot:
  description: The kept snapshot of what changed ("" when nothing changed or none is kept).
  type: str
check:
  description: The check's outcome, with I(status) and I(output), when it ran.
  type: dict
failed_step:
  description: On failure, what failed (validate, a command's name, or check).
  type: str
restored:
  description: On failure, the entries that were put back.
  type: list
  elements: str
recovered:
  description: On failure, whether the check passed again once the old files were back.
  type: bool
"""

import grp
import http.client
import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

MANIFEST = "manifest.json"
OUTPUT_LIMIT = 2000


class Failure(Exception):
    """A step failed: which one, and what it said."""

    def __init__(self, step: str, output: str):
        super().__init__(f"{step}: {output}")
        self.step = step
        self.output = output


# --- what an entry wants, and whether the host has it ---------------------------------


def desired(entry: dict, secrets: dict) -> dict:
    """The entry with its defaults filled in and its content resolved."""
    state = entry.get("state") or ("link" if entry.get("src") else "file")
    if state not in ("file", "link", "directory", "absent"):
        raise ValueError(f"{entry.get('path')}: state must be file, link, directory or absent")
    if not os.path.isabs(entry.get("path") or ""):
        raise ValueError(f"path: expected an absolute path, got {entry.get('path')!r}")
    wanted = {
        "path": entry["path"],
        "state": state,
        "notify": list(entry.get("notify") or []),
        "secret": bool(entry.get("secret")),
    }
    if entry.get("purge"):
        if state != "directory":
            raise ValueError(f"{entry['path']}: only a directory can be purged")
        wanted["purge"] = True
    if state == "link":
        if not entry.get("src"):
            raise ValueError(f"{entry['path']}: a link needs src")
        wanted["src"] = entry["src"]
    if state in ("file", "directory"):
        wanted["owner"] = entry.get("owner") or "root"
        wanted["group"] = entry.get("group") or "root"
        wanted["mode"] = int(
            str(entry.get("mode") or ("0755" if state == "directory" else "0644")), 8
        )
    if state == "file":
        content = secrets.get(entry["path"]) if wanted["secret"] else entry.get("content")
        if content is None:
            raise ValueError(f"{entry['path']}: a file needs content")
        wanted["content"] = content.encode() if isinstance(content, str) else content
    return wanted


def purged(entries: list[dict]) -> list[dict]:
    """The entries, each directory marked purge followed by an absent entry for each
    thing in it that no entry names (nor anything under it), in the order of their names."""
    listed = [os.path.normpath(entry["path"]) for entry in entries]
    result = []
    for entry in entries:
        result.append(entry)
        path = entry["path"]
        if not entry.get("purge") or os.path.islink(path) or not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            child = os.path.normpath(os.path.join(path, name))
            if not any(p == child or p.startswith(child + os.sep) for p in listed):
                result.append(
                    {"path": child, "state": "absent", "notify": entry["notify"], "secret": False}
                )
    return result


def _ids(wanted: dict) -> tuple[int, int]:
    try:
        return pwd.getpwnam(wanted["owner"]).pw_uid, grp.getgrnam(wanted["group"]).gr_gid
    except KeyError as error:
        raise ValueError(f"{wanted['path']}: no such user or group ({error})") from None


def differs(wanted: dict, check_mode: bool = False) -> bool:
    """Whether the host's entry at the path is not what the entry wants."""
    path = wanted["path"]
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return wanted["state"] != "absent"
    state = wanted["state"]
    if state == "absent":
        return True
    if state == "link":
        return not stat.S_ISLNK(info.st_mode) or os.readlink(path) != wanted["src"]
    kind = stat.S_ISREG if state == "file" else stat.S_ISDIR
    if not kind(info.st_mode) or stat.S_IMODE(info.st_mode) != wanted["mode"]:
        return True
    try:
        uid, gid = _ids(wanted)
    except ValueError:
        # A user this run creates does not exist yet in check mode: it would change.
        if check_mode:
            return True
        raise
    if (info.st_uid, info.st_gid) != (uid, gid):
        return True
    if state == "file":
        with open(path, "rb") as handle:
            return handle.read() != wanted["content"]
    return False


# --- snapshots --------------------------------------------------------------------------


def take(entries: list[dict], root: str) -> str:
    """Copy what is at each entry's path into a new snapshot; returns its directory.

    A directory entry keeps only the directory itself (its owner and mode), not what
    is in it: this module changes only the entries it is given."""
    os.makedirs(root, mode=0o700, exist_ok=True)
    snapshot = tempfile.mkdtemp(prefix="change-", dir=root)
    manifest = []
    for index, entry in enumerate(entries):
        path = entry["path"]
        copy = os.path.join(snapshot, str(index))
        existed = os.path.lexists(path)
        if existed:
            if os.path.isdir(path) and not os.path.islink(path) and entry["state"] == "directory":
                os.mkdir(copy)
                info = os.stat(path)
                os.chown(copy, info.st_uid, info.st_gid)
                os.chmod(copy, stat.S_IMODE(info.st_mode))
            else:
                subprocess.run(["cp", "-a", "--no-target-directory", path, copy], check=True)
        manifest.append(
            {
                "path": path,
                "existed": existed,
                "copy": copy,
                "state": entry["state"],
                "notify": entry["notify"],
            }
        )
    _write_manifest(snapshot, manifest)
    return snapshot


def _write_manifest(snapshot: str, manifest: list[dict]) -> None:
    with open(os.path.join(snapshot, MANIFEST), "w") as handle:
        json.dump(manifest, handle)


def manifest(snapshot: str) -> list[dict]:
    if not snapshot:
        return []
    with open(os.path.join(snapshot, MANIFEST)) as handle:
        return json.load(handle)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def restore(snapshot: str) -> list[str]:
    """Put every entry of the snapshot back as it was; returns their paths. Drops it."""
    restored = []
    for item in manifest(snapshot):
        path, copy = item["path"], item["copy"]
        if not item["existed"]:
            _remove(path)
        elif item["state"] == "directory" and os.path.isdir(path) and not os.path.islink(path):
            info = os.stat(copy)
            os.chown(path, info.st_uid, info.st_gid)
            os.chmod(path, stat.S_IMODE(info.st_mode))
        else:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            staged = f"{path}.restoring"
            _remove(staged)
            subprocess.run(["cp", "-a", "--no-target-directory", copy, staged], check=True)
            os.rename(staged, path)
        restored.append(path)
    drop(snapshot)
    return restored


def drop(snapshot: str) -> None:
    if snapshot:
        shutil.rmtree(snapshot, ignore_errors=True)


# --- writing ----------------------------------------------------------------------------


def write(wanted: dict) -> None:
    """Make the host's entry what the entry wants; a file or link is replaced atomically."""
    path = wanted["path"]
    state = wanted["state"]
    if state == "absent":
        _remove(path)
        return
    if state == "directory":
        if os.path.lexists(path) and not os.path.isdir(path):
            os.unlink(path)
        os.makedirs(path, exist_ok=True)
        uid, gid = _ids(wanted)
        os.chown(path, uid, gid)
        os.chmod(path, wanted["mode"])
        return
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    if state == "link":
        staged = os.path.join(directory, f".{os.path.basename(path)}.new")
        _remove(staged)
        os.symlink(wanted["src"], staged)
    else:
        uid, gid = _ids(wanted)
        handle, staged = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
        try:
            os.fchown(handle, uid, gid)
            os.fchmod(handle, wanted["mode"])
            os.write(handle, wanted["content"])
            os.fsync(handle)
        finally:
            os.close(handle)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    os.rename(staged, path)


# --- running ----------------------------------------------------------------------------


def _trim(text: str) -> str:
    text = text.strip()
    return text if len(text) <= OUTPUT_LIMIT else "..." + text[-OUTPUT_LIMIT:]


def run(step: str, argv: list[str]) -> str:
    """Run a command; raise Failure with its output when it fails. A template may hand
    over a number (a port) where a string belongs: each item is taken as its text."""
    argv = [str(item) for item in argv]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except (OSError, ValueError) as error:
        raise Failure(step, f"{argv[0]}: {error}") from None
    output = _trim(f"{done.stderr}\n{done.stdout}")
    if done.returncode != 0:
        raise Failure(step, output or f"exit status {done.returncode}")
    return output


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def _get(url: str, unix_socket: str, timeout: float) -> tuple[int, str]:
    parsed = http.client.urlsplit(url)
    if unix_socket:
        connection = _UnixConnection(unix_socket, timeout)
    else:
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=timeout)
    try:
        connection.request(
            "GET", parsed.path or "/", headers={"Host": parsed.netloc or "localhost"}
        )
        response = connection.getresponse()
        return response.status, response.read(OUTPUT_LIMIT).decode(errors="replace")
    finally:
        connection.close()


def check(spec: dict, sleep=time.sleep) -> dict:
    """Run the check; raise Failure when it does not pass."""
    if spec.get("argv"):
        return {"status": 0, "output": run("check", spec["argv"])}
    wanted = int(spec.get("status") or 200)
    retries = int(spec.get("retries") or 0)
    status, output = 0, ""
    for attempt in range(retries + 1):
        try:
            status, output = _get(
                spec["url"], spec.get("unix_socket") or "", float(spec.get("timeout") or 5)
            )
        except (OSError, http.client.HTTPException) as error:
            status, output = 0, str(error) or type(error).__name__
        if status == wanted:
            return {"status": status, "output": _trim(output)}
        if attempt < retries:
            sleep(float(spec.get("delay") or 1))
    raise Failure("check", f"{spec['url']} answered {status or 'nothing'} ({_trim(output)})")


def _true(value) -> bool:
    """A flag as a task may pass it: a bool, or its string from a template."""
    return value is True or str(value).lower() in ("true", "yes", "1")


def notified(commands: list[dict], changed: list[dict]) -> list[dict]:
    """The commands the changed entries notify, in the order of COMMANDS, minus those
    made unneeded (skip_if) by one that runs."""
    names = {name for entry in changed for name in entry["notify"]}
    chosen = [
        command for command in commands if command["name"] in names or _true(command.get("always"))
    ]
    running = {command["name"] for command in chosen}
    return [c for c in chosen if not set(c.get("skip_if") or []) & running]


def apply(
    snapshot: str,
    commands: list[dict],
    check_spec: dict | None,
    check_always: bool,
    sleep=time.sleep,
) -> dict:
    """Run the commands a staged change notifies and the check; undo it on failure."""
    changed = manifest(snapshot)
    chosen = notified(commands, changed)
    result = {"ran": [], "check": None}
    try:
        for command in chosen:
            run(command["name"], command["argv"])
            if not _true(command.get("always")):
                result["ran"].append(command["name"])
        if check_spec and (changed or check_always):
            result["check"] = check(check_spec, sleep)
    except Failure as failure:
        raise_undone(failure, snapshot, chosen, check_spec, sleep)
    # Whatever else goes wrong (a malformed check, say), the change is undone all the same.
    except Exception as error:
        raise_undone(
            Failure("apply", f"{type(error).__name__}: {error}"),
            snapshot,
            chosen,
            check_spec,
            sleep,
        )
    return result


class Undone(Exception):
    """A failed change, put back: what failed, what was restored, whether it serves again."""

    def __init__(
        self, failure: Failure, restored: list[str], recovered: bool | None, notes: list[str]
    ):
        super().__init__(failure.output)
        self.failure = failure
        self.restored = restored
        self.recovered = recovered
        self.notes = notes


def raise_undone(
    failure: Failure, snapshot: str, chosen: list[dict], check_spec: dict | None, sleep=time.sleep
) -> None:
    """Put the snapshot back, apply the old files again, check them, raise Undone."""
    restored = restore(snapshot)
    notes = []
    for command in chosen:
        try:
            run(command["name"], command["argv"])
        except Failure as again:
            notes.append(f"{again.step} failed again on the restored files: {again.output}")
    recovered = None
    if check_spec and chosen:
        try:
            check(check_spec, sleep)
            recovered = True
        except Failure as again:
            recovered = False
            notes.append(again.output)
        except Exception as again:
            recovered = False
            notes.append(f"The check could not run: {type(again).__name__}: {again}")
    raise Undone(failure, restored, recovered, notes)


def stage(changed: list[dict], validators: list[list[str]], root: str) -> tuple[list[dict], str]:
    """Write the entries that differ and validate them; returns them and their snapshot."""
    if not changed:
        return [], ""
    snapshot = take(changed, root)
    try:
        for entry in changed:
            write(entry)
        for argv in validators:
            run("validate", argv)
    except (Failure, OSError, ValueError, subprocess.CalledProcessError) as error:
        failure = error if isinstance(error, Failure) else Failure("write", str(error))
        raise Undone(failure, restore(snapshot), None, []) from None
    return changed, snapshot


def _diff(entry: dict) -> dict:
    """A link shows as its target, a file as its content, anything else as nothing."""
    before = ""
    if os.path.islink(entry["path"]):
        before = os.readlink(entry["path"]) + "\n"
    elif os.path.isfile(entry["path"]):
        with open(entry["path"], "rb") as handle:
            before = handle.read().decode(errors="replace")
    after = entry["content"].decode(errors="replace") if entry["state"] == "file" else ""
    if entry["state"] == "link":
        after = entry["src"] + "\n"
    diff = {
        "before_header": entry["path"],
        "after_header": entry["path"],
        "before": before,
        "after": after,
    }
    # An owner or mode that differs has no line of content to show: say it beside.
    if entry["state"] in ("file", "directory") and _kind_at(entry["path"]) == entry["state"]:
        had, wants = _ownership(os.lstat(entry["path"])), _ownership(entry)
        if had != wants:
            diff["prepared"] = f"{entry['path']}: {had} -> {wants}\n"
    return diff


def _kind_at(path: str) -> str:
    """What is at PATH: file, link, directory, other or absent."""
    if not os.path.lexists(path):
        return "absent"
    mode = os.lstat(path).st_mode
    for kind, test in (("link", stat.S_ISLNK), ("file", stat.S_ISREG), ("directory", stat.S_ISDIR)):
        if test(mode):
            return kind
    return "other"


def _ownership(what) -> str:
    """'owner:group mode' of a stat result or of an entry."""
    if isinstance(what, dict):
        return f"{what['owner']}:{what['group']} {what['mode']:04o}"

    def name(lookup, number):
        try:
            return lookup(number)[0]
        except KeyError:
            return str(number)

    owner, group = name(pwd.getpwuid, what.st_uid), name(grp.getgrgid, what.st_gid)
    return f"{owner}:{group} {stat.S_IMODE(what.st_mode):04o}"


def failure_message(undone: Undone, messages: dict) -> str:
    """What a failed change says: the caller's words for the step (messages), or the
    module's; then whether the host recovered and what failed on the way back."""
    step = undone.failure.step
    restored = ", ".join(undone.restored) or "nothing had changed"
    if messages.get(step):
        fields = {"output": undone.failure.output, "restored": restored, "step": step}
        # One pass: what a step said may itself contain "{restored}".
        words = re.sub(
            r"\{(output|restored|step)\}", lambda m: fields[m[1]], str(messages[step]).strip()
        )
    else:
        what = "was rejected" if step == "validate" else f"failed at {step}"
        words = f"The change {what}: {undone.failure.output} Put back: {restored}."
    recovered = {
        True: " The host serves again on what was there before.",
        False: " The host does NOT pass its check on what was there before either.",
        None: "",
    }[undone.recovered]
    return words + recovered + "".join(f" {note}" for note in undone.notes)


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {
                "type": "str",
                "default": "present",
                "choices": ["present", "staged", "applied", "restored", "dropped"],
            },
            "files": {"type": "list", "elements": "dict", "default": []},
            "secrets": {"type": "dict", "default": {}, "no_log": True},
            "validate": {"type": "list", "elements": "list", "default": []},
            "commands": {"type": "list", "elements": "dict", "default": []},
            "check": {"type": "dict"},
            "check_always": {"type": "bool", "default": False},
            "messages": {"type": "dict", "default": {}},
            "keep_snapshot": {"type": "bool", "default": False},
            "snapshot": {"type": "path", "default": ""},
            "root": {"type": "path", "default": "/var/backups/flaskstack"},
        },
        supports_check_mode=True,
    )
    params = module.params
    state = params["state"]
    if state in ("restored", "dropped"):
        if module.check_mode or not params["snapshot"]:
            module.exit_json(changed=False, restored=[])
        if state == "dropped":
            drop(params["snapshot"])
            module.exit_json(changed=False)
        module.exit_json(changed=True, restored=restore(params["snapshot"]))

    try:
        entries = purged([desired(entry, params["secrets"]) for entry in params["files"]])
    except ValueError as error:
        module.fail_json(msg=f"files: {error}")
    if module.check_mode:
        changed = (
            [entry for entry in entries if differs(entry, check_mode=True)]
            if state != "applied"
            else []
        )
        diffs = [_diff(entry) for entry in changed if not entry["secret"]] if module._diff else []
        module.exit_json(
            changed=bool(changed),
            changed_paths=[e["path"] for e in changed],
            ran=[],
            snapshot="",
            diff=diffs,
        )

    snapshot = params["snapshot"]
    # What the staged change wrote: what an `applied` call reports as changed.
    changed = [] if state != "applied" else manifest(snapshot)
    diffs = []
    result = {"ran": [], "check": None}
    try:
        if state != "applied":
            differing = [entry for entry in entries if differs(entry)]
            if module._diff:
                diffs = [_diff(entry) for entry in differing if not entry["secret"]]
            changed, snapshot = stage(differing, params["validate"], params["root"])
        if state != "staged":
            result = apply(snapshot, params["commands"], params["check"], params["check_always"])
            if not params["keep_snapshot"]:
                drop(snapshot)
                snapshot = ""
    except Undone as undone:
        step = undone.failure.step
        module.fail_json(
            msg=failure_message(undone, params["messages"]),
            failed_step=step,
            output=undone.failure.output,
            restored=undone.restored,
            recovered=undone.recovered,
            changed=False,
        )
    module.exit_json(
        changed=bool(changed) or bool(result["ran"]),
        changed_paths=[entry["path"] for entry in changed],
        ran=result["ran"],
        check=result["check"],
        snapshot=snapshot,
        diff=diffs,
    )


if __name__ == "__main__":
    main()
