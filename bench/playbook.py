"""Run ansible-playbook as a user does, on the controller's CPU, and read what it did.

Ansible's json callback (ansible.posix) reports every task's start and end on every host:
the run's task counts and its per-task profile come from there, not from a guess. The
controller's CPU time of a run is that of the ansible-playbook process and every process
it waited for (its forks and their ssh clients), read from the kernel when it ends
(wait4); an SSH master that ControlPersist leaves running is not counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from hosts import ROOT

INVENTORY = Path(__file__).resolve().parent / "inventory"
ANSIBLE_PLAYBOOK = ROOT / ".venv/bin/ansible-playbook"


@dataclass
class Run:
    seconds: float
    stats: dict  # per host: ok, changed, failures, unreachable, skipped, ...
    tasks: list = field(default_factory=list)  # [(name, host, seconds, status)]
    output: str = ""
    cpu_seconds: float = 0.0  # the controller's user + system time for the whole run

    @property
    def changed(self) -> int:
        return sum(host.get("changed", 0) for host in self.stats.values())

    def tasks_per_host(self) -> dict[str, int]:
        """Tasks that ran on each host: ok or changed (skipped ones cost little)."""
        return {host: s.get("ok", 0) + s.get("changed", 0) for host, s in self.stats.items()}

    def profile(self, top: int = 15) -> list[tuple[str, float, int]]:
        """The tasks that took longest, summed over hosts: [(name, seconds, hosts)]."""
        seconds: dict[str, float] = defaultdict(float)
        hosts: dict[str, set] = defaultdict(set)
        for name, host, duration, _status in self.tasks:
            seconds[name] += duration
            hosts[name].add(host)
        ranked = sorted(seconds.items(), key=lambda item: item[1], reverse=True)[:top]
        return [(name, total, len(hosts[name])) for name, total in ranked]


def _seconds(duration: dict) -> float:
    from datetime import datetime

    start = datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def parse(output: str, seconds: float) -> Run:
    """A Run from the json callback's output (tests/test_bench.py feeds it samples)."""
    report = json.loads(output[output.index("{") :])
    tasks = []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"]
            for host, result in task.get("hosts", {}).items():
                if result.get("skipped"):
                    status = "skipped"
                elif result.get("failed"):
                    status = "failed"
                else:
                    status = "changed" if result.get("changed") else "ok"
                span = task["task"].get("duration") or {}
                duration = _seconds(span) if "end" in span else 0.0
                tasks.append((name, host, duration, status))
    return Run(seconds, report.get("stats", {}), tasks, output)


def timed(argv: list[str], **popen) -> tuple[int, float, float, str, str]:
    """Run ARGV to its end: (return code, wall seconds, CPU seconds, stdout, stderr). The CPU
    seconds are user + system time of the process and of every descendant it waited for."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True, **popen)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, seconds, usage.ru_utime + usage.ru_stime, out.read(), err.read()


def run(inventory: str, playbook: str = "site.yml", *extra: str, check: bool = True) -> Run:
    """Time one ansible-playbook run; fail with its output if it fails (unless check=False)."""
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_JSON_INDENT="0",
    )
    argv = [str(ANSIBLE_PLAYBOOK), "-i", str(INVENTORY / inventory), playbook, *extra]
    returncode, seconds, cpu, stdout, stderr = timed(argv, cwd=ROOT, env=env)
    try:
        result = parse(stdout, seconds)
    except (ValueError, KeyError):
        result = Run(seconds, {}, [], stdout)
    result.cpu_seconds = cpu
    if check and returncode != 0:
        failed = [t for t in result.tasks if t[3] == "failed"]
        raise RuntimeError(
            f"ansible-playbook -i {inventory} {playbook} failed (rc {returncode}); "
            f"failed tasks: {failed[:3]}; stderr: {stderr[-2000:]}; "
            f"stdout tail: {stdout[-2000:]}"
        )
    return result
