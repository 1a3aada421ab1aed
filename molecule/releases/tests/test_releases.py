"""Releases: deploy, roll back, switch back from an unhealthy release, keep data.

These tests run the project's playbooks against both instances at once, as an operator
would, so they take no `host` fixture; they run in file order and build on each other.
"""

import os
import uuid

import pytest
from app_variants import app_variant, built_wheel
from load import Load
from playbook_run import instance, run_playbook, scenario_hosts
from stack_http import post_json, request

CURRENT = "/srv/flaskapp/current"


def _release(name: str) -> str:
    health = request(name, "/healthz")
    assert health.status == 200, health.text
    return health.json()["release"]


def _create_note(name: str, title: str) -> int:
    reply = post_json(name, "/api/notes", {"title": title})
    assert reply.status == 201, reply.text
    return reply.json()["id"]


def _note_title(name: str, note_id: int) -> str:
    return request(name, f"/api/notes/{note_id}").json()["title"]


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    directory = tmp_path_factory.mktemp("variants")
    return {
        "b": app_variant(directory, "1.1.0"),
        # Deployed as a built wheel rather than a project directory.
        "c": built_wheel(app_variant(directory, "1.2.0"), directory / "wheel-1.2.0"),
        "broken": app_variant(directory, "1.3.0", broken=True),
    }


@pytest.fixture(scope="module")
def deployed():
    """Release and a note per instance as the scenario's converge left them (release A)."""
    return {
        name: {"release_a": _release(name), "note": _create_note(name, f"from A {uuid.uuid4()}")}
        for name in scenario_hosts()
    }


def test_deploy_b_under_load_serves_b_keeps_data_and_fails_no_request(deployed, variants):
    loads = [Load(name, ["/healthz", "/api/notes", "/"], workers=3) for name in deployed]
    for load in loads:
        load.__enter__()
    try:
        run = run_playbook(
            "playbooks/deploy.yml", extra_vars={"flaskapp_source": str(variants["b"])}
        )
    finally:
        for load in loads:
            load.__exit__(None, None, None)
    assert run.rc == 0, run.output[-3000:]
    for name, state in deployed.items():
        assert _release(name).startswith("1.1.0-")
        assert _note_title(name, state["note"]).startswith("from A")
    for load in loads:
        assert load.failures == []
        assert load.total > 20


def test_deploying_the_same_release_again_changes_nothing(variants):
    run = run_playbook("playbooks/deploy.yml", extra_vars={"flaskapp_source": str(variants["b"])})
    assert run.rc == 0, run.output[-3000:]
    assert all(counts["changed"] == 0 for counts in run.recap().values()), run.output[-3000:]


def test_rollback_returns_to_a_with_the_data(deployed):
    run = run_playbook("playbooks/rollback.yml")
    assert run.rc == 0, run.output[-3000:]
    for name, state in deployed.items():
        assert _release(name) == state["release_a"]
        assert _note_title(name, state["note"]).startswith("from A")


def test_rollback_to_a_named_release(deployed):
    for name in deployed:
        b_release = os.path.basename(instance(name).file("/srv/flaskapp/previous").linked_to)
        assert b_release.startswith("1.1.0-")
        run = run_playbook(
            "playbooks/rollback.yml",
            "--limit",
            name,
            extra_vars={"flaskapp_rollback_release": b_release},
        )
        assert run.rc == 0, run.output[-3000:]
        assert _release(name) == b_release


def test_rollback_to_a_missing_release_fails_clearly_and_changes_nothing(deployed):
    before = {name: _release(name) for name in deployed}
    run = run_playbook(
        "playbooks/rollback.yml", extra_vars={"flaskapp_rollback_release": "9.9.9-nothere"}
    )
    assert run.rc != 0
    assert "flaskapp_rollback_release names 9.9.9-nothere" in run.output
    assert {name: _release(name) for name in deployed} == before


def _failing_deploy(**extra_vars) -> str:
    """Deploy something unhealthy; the play must fail and leave the app serving."""
    run = run_playbook(
        "playbooks/deploy.yml", extra_vars={"flaskapp_health_retries": 5, **extra_vars}
    )
    assert run.rc != 0
    assert "The app serves again." in run.output
    return run.output


def test_unhealthy_release_is_switched_back_and_the_play_fails(deployed, variants):
    before = {name: _release(name) for name in deployed}
    output = _failing_deploy(flaskapp_source=str(variants["broken"]))
    assert "Release 1.3.0-" in output
    assert "failed its health check" in output
    for name, release in before.items():
        host = instance(name)
        assert f"Switched back to release {release}" in output
        assert _release(name) == release
        assert host.file(CURRENT).linked_to.endswith(release)
        # previous still leads back to A, and the unhealthy release is gone.
        assert os.path.basename(host.file("/srv/flaskapp/previous").linked_to).startswith("1.0.0-")
        assert host.run("ls -d /srv/flaskapp/releases/1.3.0-*").rc != 0


def test_breaking_configuration_change_is_put_back(deployed, variants):
    before = {name: _release(name) for name in deployed}
    assert all(release.startswith("1.1.0-") for release in before.values())
    output = _failing_deploy(
        # The release that serves (B), so only the configuration changes.
        flaskapp_source=str(variants["b"]),
        flaskapp_wsgi_app="notesapp:no_such_factory()",
    )
    assert "with the new configuration failed its health check" in output
    assert "Restored /etc/flaskapp/gunicorn.conf.py" in output
    for name, release in before.items():
        host = instance(name)
        assert _release(name) == release
        assert host.file("/etc/flaskapp/gunicorn.conf.py").contains(
            'wsgi_app = "notesapp:create_app()"'
        )
        assert host.run("ls /etc/flaskapp | grep -c '~$'").stdout.strip() == "0"


def test_wheel_deploy_removes_releases_beyond_the_kept_number(deployed, variants):
    run = run_playbook(
        "playbooks/deploy.yml",
        extra_vars={"flaskapp_source": str(variants["c"]), "flaskapp_keep_releases": 2},
    )
    assert run.rc == 0, run.output[-3000:]
    for name in deployed:
        host = instance(name)
        releases = host.check_output("ls /srv/flaskapp/releases").split()
        current = os.path.basename(host.file(CURRENT).linked_to)
        previous = os.path.basename(host.file("/srv/flaskapp/previous").linked_to)
        assert current.startswith("1.2.0-")
        assert sorted(releases) == sorted({current, previous})
        assert _note_title(name, deployed[name]["note"]).startswith("from A")
