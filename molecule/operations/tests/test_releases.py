"""Releases: deploy, roll back, switch back from an unhealthy release, keep data.

Each test runs the project's playbooks against both instances at once, as an operator
would, so it takes no `host` fixture. Each starts from the release history it needs
(the `history` fixture deploys only what is missing), so any test passes alone and the
tests pass in any order.
"""

import os
import uuid

import pytest
from app_variants import APP_VERSION, PROJECT, app_variant, built_wheel
from load import Load
from playbook_run import app_name, deploy, instance, run_playbook, scenario_hosts
from stack_http import post_json, request

APP = app_name()
VERSIONS = {"a": APP_VERSION, "b": "2.1.0", "c": "2.2.0", "broken": "2.3.0"}


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """What each release is built from: app/ itself (what converge deployed) and copies."""
    directory = tmp_path_factory.mktemp("variants")
    return {
        "a": PROJECT / "app",
        "b": app_variant(directory, VERSIONS["b"]),
        # Deployed as a built wheel rather than a project directory.
        "c": built_wheel(app_variant(directory, VERSIONS["c"]), directory / "wheel"),
        "broken": app_variant(directory, VERSIONS["broken"], broken=True),
    }


def _linked(name: str, link: str) -> str:
    """The release a link of the app (current, previous) points at, or ""."""
    target = instance(name).file(f"/srv/{APP}/{link}")
    return os.path.basename(target.linked_to) if target.is_symlink else ""


def _serving(name: str) -> str:
    health = request(name, "/healthz")
    assert health.status == 200, health.text
    return health.json()["release"]


@pytest.fixture
def history(sources):
    """history("a", "b"): every instance serves b, and rolling back would return to a."""

    def reached(names) -> bool:
        current = VERSIONS[names[-1]] + "-"
        previous = VERSIONS[names[-2]] + "-" if len(names) > 1 else ""
        return all(
            _linked(name, "current").startswith(current)
            and _linked(name, "previous").startswith(previous)
            for name in scenario_hosts()
        )

    def ensure(*names: str) -> None:
        if not reached(names):
            for name in names:
                run = deploy(sources[name])
                assert run.rc == 0, run.output[-3000:]
        assert reached(names)

    return ensure


@pytest.fixture
def notes():
    """A note on each instance, made before the test changes anything: {instance: id}."""
    made = {}
    for name in scenario_hosts():
        reply = post_json(name, "/api/notes", {"title": f"kept {uuid.uuid4()}"})
        assert reply.status == 201, reply.text
        made[name] = reply.json()
    yield made
    for name, note in made.items():
        assert request(name, f"/api/notes/{note['id']}").json()["title"] == note["title"]


def test_deploy_under_load_serves_the_new_release_and_fails_no_request(history, sources, notes):
    history("a")
    loads = [Load(name, ["/healthz", "/api/notes", "/"], workers=3) for name in scenario_hosts()]
    for load in loads:
        load.__enter__()
    try:
        run = deploy(sources["b"])
    finally:
        for load in loads:
            load.__exit__(None, None, None)
    assert run.rc == 0, run.output[-3000:]
    for name in scenario_hosts():
        release = _serving(name)
        assert release.startswith(VERSIONS["b"] + "-")
        # Before migrating, the release backed up the app's SQLite database, online.
        found = instance(name).run(f"ls /var/backups/{APP}/notes-*-{release}.sqlite3")
        assert found.rc == 0, found.stderr
        backup = instance(name).file(found.stdout.split()[0])
        assert (backup.user, backup.mode) == (APP, 0o600)
    for load in loads:
        assert load.failures == []
        assert load.total > 20


def test_deploying_the_same_release_again_changes_nothing(history, sources):
    history("b")
    run = deploy(sources["b"])
    assert run.rc == 0, run.output[-3000:]
    assert all(counts["changed"] == 0 for counts in run.recap().values()), run.output[-3000:]


def test_rollback_returns_to_the_previous_release_with_the_data(history, notes):
    history("a", "b")
    before = {name: _linked(name, "previous") for name in scenario_hosts()}
    run = run_playbook("playbooks/rollback.yml")
    assert run.rc == 0, run.output[-3000:]
    for name, release in before.items():
        assert _serving(name) == release
        assert _linked(name, "previous").startswith(VERSIONS["b"] + "-")


@pytest.fixture
def two_releases(history):
    """Every instance has an active and a previous release (any two)."""
    if not all(_linked(name, "previous") for name in scenario_hosts()):
        history("a", "b")


def test_rollback_to_a_named_release(two_releases):
    for name in scenario_hosts():
        named = _linked(name, "previous")
        run = run_playbook(
            "playbooks/rollback.yml",
            "--limit",
            name,
            extra_vars={"flaskapp_rollback_release": named},
        )
        assert run.rc == 0, run.output[-3000:]
        assert _serving(name) == named


def test_rollback_to_a_missing_release_fails_clearly_and_changes_nothing():
    before = {name: _serving(name) for name in scenario_hosts()}
    run = run_playbook(
        "playbooks/rollback.yml", extra_vars={"flaskapp_rollback_release": "9.9.9-nothere"}
    )
    assert run.rc != 0
    assert "flaskapp_rollback_release names 9.9.9-nothere" in run.output
    assert {name: _serving(name) for name in scenario_hosts()} == before


def _failing_deploy(source, **extra_vars) -> str:
    """Deploy something unhealthy: the play must fail and leave the app serving."""
    run = deploy(source, flaskapp_health_retries=5, **extra_vars)
    assert run.rc != 0
    assert "The app serves again." in run.output, run.output[-3000:]
    return run.output


def test_unhealthy_release_is_switched_back_and_the_play_fails(history, sources, notes):
    history("a", "b")
    before = {name: (_serving(name), _linked(name, "previous")) for name in scenario_hosts()}
    output = _failing_deploy(sources["broken"])
    assert f"Release {VERSIONS['broken']}-" in output
    # Its migration command imports it first, so it fails before any host switches.
    assert "this release is broken on purpose" in output
    for name, (serving, previous) in before.items():
        assert f"Release {serving} kept serving." in output
        assert _serving(name) == serving
        assert (_linked(name, "current"), _linked(name, "previous")) == (serving, previous)
        # The unhealthy release is gone, so a fixed build of it starts afresh.
        assert instance(name).run(f"ls -d /srv/{APP}/releases/{VERSIONS['broken']}-*").rc != 0


def test_breaking_configuration_change_is_put_back(history, sources):
    history("b")
    before = {name: _serving(name) for name in scenario_hosts()}
    output = _failing_deploy(sources["b"], flaskapp_wsgi_app="notesapp:no_such_factory()")
    # The new gunicorn's workers cannot load the app: the one serving never stopped.
    assert "with the new configuration did not start" in output
    assert "no_such_factory" in output  # what the app logged
    assert f"Restored /etc/{APP}/gunicorn.conf.py" in output
    for name, release in before.items():
        host = instance(name)
        assert _serving(name) == release
        conf = host.file(f"/etc/{APP}/gunicorn.conf.py")
        assert conf.contains('wsgi_app = "notesapp:create_app()"')
        assert host.run("ls /var/backups/flaskstack").stdout.strip() == ""


def test_wheel_deploy_removes_releases_beyond_the_kept_number(history, sources, notes):
    history("a", "b")
    run = deploy(sources["c"], flaskapp_keep_releases=2)
    assert run.rc == 0, run.output[-3000:]
    for name in scenario_hosts():
        current, previous = _linked(name, "current"), _linked(name, "previous")
        assert current.startswith(VERSIONS["c"] + "-")
        assert previous.startswith(VERSIONS["b"] + "-")
        releases = instance(name).check_output(f"ls /srv/{APP}/releases").split()
        assert sorted(releases) == sorted([current, previous])
