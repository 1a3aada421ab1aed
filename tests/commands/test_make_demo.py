"""`make demo`, what it tells the user to type, `make demo` again, a changed app setting,
a restart of the app (`systemctl reload`), then `make demo-down`: the README's first
command, typed in the checkout as a newcomer types it, on the layout they get (one host
carrying web, app and SQLite, the firewall on, SSH through the port Docker forwards)."""

import json
import re

import pytest
from conftest import (
    PAGES,
    ROOT,
    assert_changed_nothing,
    assert_serves,
    assert_succeeded,
    demo_up,
    existing_demo_containers,
    get,
    state,
    typed,
)

# A user changes an app setting and runs site.yml again (ansible.cfg's inventory is the demo).
CHANGED_SETTING = ".venv/bin/ansible-playbook site.yml -e flaskapp_workers=3"
WORKERS = "pgrep -c -P $(systemctl show -p MainPID --value flaskapp.service)"
# The restart the README gives, typed on the host: a new gunicorn takes over.
RELOAD = "systemctl reload flaskapp"
MAIN_PID = "systemctl show -p MainPID --value flaskapp.service"


@pytest.fixture(scope="module")
def demo(log_dir):
    with demo_up("make demo", log_dir) as run:
        yield run


def test_make_demo_prints_the_url_it_serves(demo):
    url = state("state.json")["urls"][0]
    assert url.startswith("https://localhost:")
    assert url in demo.output


@pytest.mark.parametrize(("path", "content_type"), PAGES)
def test_the_demo_answers_over_https(demo, path, content_type):
    assert_serves(state("state.json")["urls"][0], path, content_type)


def _ssh(demo) -> str:
    """The ssh command make demo prints, never prompting: the host's key is in the demo's
    known_hosts since make demo."""
    printed = re.search(r"^SSH:\s+(ssh .*)$", demo.output, re.M)
    assert printed, demo.output[-2000:]
    return printed[1].replace("ssh ", "ssh -o BatchMode=yes ", 1)


def _release() -> str:
    return json.loads(get(state("state.json")["urls"][0] + "healthz")[2])["release"]


def test_the_ssh_command_it_prints_gets_in(demo, log_dir):
    command = f"{_ssh(demo)} true"
    assert_succeeded(typed(command, log_dir, timeout=60), command)


def test_make_demo_again_changes_nothing(demo, log_dir):
    assert_changed_nothing(typed("make demo", log_dir), "make demo")


def test_a_changed_app_setting_restarts_the_same_release(demo, log_dir):
    release = _release()
    run = typed(CHANGED_SETTING, log_dir)
    assert_succeeded(run, CHANGED_SETTING)
    assert run.recap()["demo"]["changed"] > 0
    # gunicorn restarted with the new setting: three workers under its master.
    workers = typed(f"{_ssh(demo)} '{WORKERS}'", log_dir, timeout=60)
    assert workers.output.split()[-1:] == ["3"], workers.output
    assert _release() == release


def _on_the_host(demo, log_dir, command: str) -> str:
    """COMMAND's last word of output, run through the ssh command make demo printed."""
    run = typed(f"{_ssh(demo)} '{command}'", log_dir, timeout=120)
    assert_succeeded(run, command)
    return run.output.split()[-1] if run.output.split() else ""


def test_systemctl_reload_hands_over_to_a_new_gunicorn_on_the_same_release(demo, log_dir):
    release, before = _release(), _on_the_host(demo, log_dir, MAIN_PID)
    _on_the_host(demo, log_dir, RELOAD)
    after = _on_the_host(demo, log_dir, MAIN_PID)
    assert after not in {before, "0"}
    assert _release() == release
    assert_serves(state("state.json")["urls"][0], *PAGES[0])


def test_make_demo_down_removes_everything_it_made(demo, log_dir):
    assert_succeeded(typed("make demo-down", log_dir), "make demo-down")
    assert existing_demo_containers() == []
    assert not (ROOT / ".demo").exists()
