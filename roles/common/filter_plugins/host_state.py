"""What a role would otherwise ask a host on every run, asked once by a fact script.

A role declares what it wants to know as probes, one key each:

    _postgresql_host_probes:
      packages: {installed: [postgresql-15, ...]}
      cluster: {exists: /etc/postgresql/15/main}
      cluster_started: {started: postgresql@15-main.service}
      tls_directory: {directory: /etc/postgresql/15/main/tls, owner: postgres,
                      group: postgres, mode: "0700"}

and adds `PROBES | flaskstack_fact_file('postgresql')` to the files of its guarded
change: /etc/ansible/facts.d/flaskstack_postgresql.fact. When the next run gathers facts,
the script answers every probe at once (as ansible_local.flaskstack_postgresql), and

    _postgresql_host_state: >-
      {{ ansible_facts | flaskstack_probes_held(_postgresql_host_probes, 'postgresql') }}

reads the answers as true or false per key; the role skips a task whose key is true. A key is
true only when the host said its probe holds *as this run declares it*: the script
answers with the probe's id, so a probe that changed since the script was written (a
package added to the list, another unit) reads as false, as does a key the host did not
answer (a new host, facts not gathered). Then the task runs. So a key must be true only
when everything its task makes sure of holds.

Kinds of probe: installed (every package of a list is installed), started (a unit is
active and enabled, as the systemd_service module's started + enabled mean it), enabled,
exists (a path), directory (a directory with this owner, group and mode), user (an
account with this primary group, home and shell). Unit-tested in
tests/test_fact_scripts.py, which runs the scripts against stub commands."""

from __future__ import annotations

import hashlib
import json
import re
import shlex

from ansible.errors import AnsibleFilterError

# Shell functions, one per kind of probe; each succeeds when its probe holds.
_KINDS = {
    "installed": """installed() {
  for package in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$package")" = installed ] || return 1
  done
}""",
    "started": """started() { systemctl is-active --quiet "$1" && enabled "$1"; }""",
    "enabled": """enabled() { [ "$(systemctl is-enabled "$1")" = enabled ]; }""",
    "exists": """exists() { test -e "$1"; }""",
    "directory": """directory() { [ "$(stat -c '%F %U:%G %a' "$1")" = "directory $2" ]; }""",
    "user": """user() {
  [ "$(id -gn "$1")" = "$2" ] && [ "$(getent passwd "$1" | cut -d: -f6-7)" = "$3" ]
}""",
}
_NEEDS = {"started": ["enabled"]}
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _argv(key: str, probe) -> tuple[str, list[str]]:
    """The shell function and its arguments for one probe; fails naming the key."""
    kinds = [kind for kind in _KINDS if isinstance(probe, dict) and kind in probe]
    if len(kinds) != 1:
        raise AnsibleFilterError(
            f"host probe {key!r}: expected a mapping with exactly one of "
            f"{', '.join(sorted(_KINDS))}, got {probe!r}"
        )
    kind = kinds[0]
    value = probe[kind]
    if kind == "installed":
        if not isinstance(value, list) or not value:
            raise AnsibleFilterError(f"host probe {key!r}: installed expects a list of packages")
        return kind, [str(package) for package in value]
    if kind == "directory":
        missing = [field for field in ("owner", "group", "mode") if field not in probe]
        if missing:
            raise AnsibleFilterError(
                f"host probe {key!r}: directory also needs {', '.join(missing)}"
            )
        # stat prints the mode in octal without leading zeros: 0700 is 700.
        mode = format(int(str(probe["mode"]), 8), "o")
        return kind, [str(value), f"{probe['owner']}:{probe['group']} {mode}"]
    if kind == "user":
        missing = [field for field in ("group", "home", "shell") if field not in probe]
        if missing:
            raise AnsibleFilterError(f"host probe {key!r}: user also needs {', '.join(missing)}")
        return kind, [str(value), str(probe["group"]), f"{probe['home']}:{probe['shell']}"]
    return kind, [str(value)]


def _probe_id(kind: str, args: list[str]) -> str:
    return hashlib.sha256(json.dumps([kind, args]).encode()).hexdigest()[:16]


def flaskstack_fact_script(probes: dict, role: str) -> str:
    """The fact script (POSIX sh) that answers PROBES for ROLE: JSON, each key the
    probe's id when it holds, else false."""
    if not isinstance(probes, dict) or not probes:
        raise AnsibleFilterError(f"{role}: host probes must be a non-empty mapping of key: probe")
    lines, used = [], set()
    for key, probe in probes.items():
        if not _KEY.match(str(key)):
            raise AnsibleFilterError(f"host probe {key!r}: a key is lower case, digits and _")
        kind, args = _argv(key, probe)
        used.update([kind, *_NEEDS.get(kind, [])])
        argv = " ".join(shlex.quote(arg) for arg in args)
        lines.append(f'"{key}": $(holds {_probe_id(kind, args)} {kind} {argv})')
    functions = "\n".join(body for kind, body in _KINDS.items() if kind in used)
    body = ",\n ".join(lines)
    return f"""#!/bin/sh
# Written by the {role} role (Ansible): what the role would otherwise ask this host on
# every run, answered once when Ansible gathers facts (ansible_local.{_fact_name(role)}).
# A key that is true lets the role skip one task. It only reads, and needs no root.
# How it is made: roles/common/filter_plugins/host_state.py.
# holds ID CHECK...: the probe's id when CHECK succeeds, else false.
holds() {{
  id=$1
  shift
  if "$@" >/dev/null 2>&1; then printf '"%s"\\n' "$id"; else echo false; fi
}}
{functions}
cat <<EOF
{{{body}}}
EOF
"""


def _fact_name(role: str) -> str:
    """The fact script's name: its file in facts.d, and its key in ansible_local."""
    return f"flaskstack_{role}"


def flaskstack_probes_held(facts: dict, probes: dict, role: str) -> dict:
    """Each key of PROBES: true when the host said, in the FACTS gathered this run (its
    ansible_facts), that this very probe of ROLE holds; false otherwise."""
    local = (facts or {}).get("ansible_local") or {}
    answered = local.get(_fact_name(role))
    answered = answered if isinstance(answered, dict) else {}
    held = {}
    for key, probe in probes.items():
        kind, args = _argv(key, probe)
        held[key] = answered.get(key) == _probe_id(kind, args)
    return held


def flaskstack_fact_file(probes: dict, role: str) -> dict:
    """The guarded_change file entry that installs ROLE's fact script."""
    return {
        "path": f"/etc/ansible/facts.d/{_fact_name(role)}.fact",
        "content": flaskstack_fact_script(probes, role),
        "mode": "0755",
    }


class FilterModule:
    def filters(self):
        return {
            "flaskstack_fact_file": flaskstack_fact_file,
            "flaskstack_probes_held": flaskstack_probes_held,
        }
