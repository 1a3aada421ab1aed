"""Rolling deploys, rollbacks and changes of the app's configuration on the fleet under
continuous load through the web host: no request fails, nginx is never reloaded, only the
two releases answer, every page finds its assets, a release that fails on the second app
host is undone everywhere, and one rollout runs at a time."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from app_variants import APP_VERSION, PROJECT, app_variant
from database import notes_stored_once
from load import MixedLoad
from playbook_run import deploy, instance, run_playbook
from polling import within


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    directory = tmp_path_factory.mktemp("variants")
    return {
        "a": PROJECT / "app",
        # Release B links another logo: pages of A and B need different files mid-rollout.
        "b": app_variant(directory, "2.1.0", renamed_logo=True),
        "broken_on_app2": app_variant(directory, "2.2.0", broken_on="3.13"),
    }


# Where playbooks/lock.yml keeps each app host's rollout lock.
LOCK = "/run/lock/flaskstack-rollout-flaskapp"
HELD = "Another rollout of flaskapp is under way"


def _active(name: str) -> str:
    return instance(name).file("/srv/flaskapp/current").linked_to.rsplit("/", 1)[1]


@pytest.fixture
def on_release_a(apps, sources):
    """Every app host serves release A: {app host: release}."""
    if not all(_active(name).startswith(APP_VERSION + "-") for name in apps):
        run = deploy(sources["a"])
        assert run.rc == 0, run.output[-3000:]
    return {name: _active(name) for name in apps}


@pytest.fixture
def load(web, db):
    with MixedLoad(web, workers=4) as running:
        time.sleep(2)
        yield running
        time.sleep(2)
    assert running.total > 100
    notes_stored_once(db, running)


def _workers(name: str) -> int:
    """How many worker processes gunicorn runs on an app host."""
    host = instance(name)
    master = host.check_output("systemctl show --property MainPID --value flaskapp.service")
    return int(host.check_output(f"pgrep --count --parent {master}"))


def test_a_change_of_the_app_configuration_fails_no_request(
    on_release_a, nginx_unreloaded, load, apps, sources
):
    # The same release with fewer workers: each host restarts, leaving the rotation first.
    # (The deploy of the next test brings the default back.)
    run = deploy(sources["a"], flaskapp_workers=2)
    assert run.rc == 0, run.output[-3000:]
    assert {name: _active(name) for name in apps} == on_release_a
    assert {name: _workers(name) for name in apps} == dict.fromkeys(apps, 2)
    assert load.failures == []


def test_a_rolling_deploy_fails_no_request(
    on_release_a, nginx_unreloaded, load, web, apps, sources
):
    with ThreadPoolExecutor(1) as pool:
        rollout = pool.submit(deploy, sources["b"])
        # A rollback started while the deploy runs stops at the lock and says who holds it.
        assert within(300, lambda: instance(apps[0]).file(LOCK).is_directory), "no lock taken"
        second = run_playbook("playbooks/rollback.yml")
        run = rollout.result()
    assert second.rc != 0 and HELD in second.output, second.output[-3000:]
    assert run.rc == 0, run.output[-3000:]
    assert not any(instance(name).file(LOCK).exists for name in apps)
    # Each host accepts the web hosts' connections again: no refusal is left behind.
    assert all(instance(name).run("nft list table inet flaskapp_drain").rc != 0 for name in apps)
    new = {_active(name) for name in [web, *apps]}
    assert len(new) == 1 and new.pop().startswith("2.1.0-")
    assert load.failures == []
    # Only A or B answered, and every page found its files (MixedLoad fetches them).
    assert {release.split("-")[0] for release in load.releases()} <= {APP_VERSION, "2.1.0"}


def test_a_release_failing_on_the_second_host_is_undone_everywhere(
    nginx_unreloaded, load, apps, sources
):
    before = {name: _active(name) for name in apps}
    run = deploy(sources["broken_on_app2"], flaskapp_health_retries=3)
    assert run.rc != 0
    assert f"{apps[1]}: Release 2.2.0-" in run.output, run.output[-3000:]
    assert "broken on Python 3.13 on purpose" in run.output
    assert {name: _active(name) for name in apps} == before
    assert load.failures == []


def test_a_rollback_rolls_the_fleet_back_the_same_way(nginx_unreloaded, load, apps):
    previous = {
        name: instance(name).file("/srv/flaskapp/previous").linked_to.rsplit("/", 1)[1]
        for name in apps
    }
    # The lock a killed run left on one host: taken over when asked, as the run says.
    instance(apps[1]).check_output(f"mkdir {LOCK} && echo 'run k1ll3d0' > {LOCK}/owner")
    run = run_playbook("playbooks/rollback.yml", extra_vars={"flaskapp_break_lock": True})
    assert run.rc == 0, run.output[-3000:]
    assert "k1ll3d0" in run.output  # the warning names the run it took over from
    assert not instance(apps[1]).file(LOCK).exists
    assert {name: _active(name) for name in apps} == previous
    assert load.failures == []
