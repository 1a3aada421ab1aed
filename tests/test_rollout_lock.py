"""The rollout lock of deploy.yml and rollback.yml (playbooks/library/rollout_lock.py):
one run holds it, another is refused with the holder's name, a killed run's lock is
broken only when asked, and a run releases only its own."""

import pytest
from library import playbook_module

lock = playbook_module("rollout_lock")


def test_the_first_run_takes_it_and_the_second_is_told_who_holds_it(tmp_path):
    path = str(tmp_path / "lock")
    assert lock.take(path, "run a") == ""
    with pytest.raises(lock.Held) as held:
        lock.take(path, "run b")
    assert str(held.value) == "run a"
    assert lock.holder(path) == "run a"


def test_the_holder_may_take_it_again(tmp_path):
    path = str(tmp_path / "lock")
    lock.take(path, "run a")
    assert lock.take(path, "run a") == ""


def test_force_takes_over_a_killed_runs_lock_and_names_it(tmp_path):
    path = str(tmp_path / "lock")
    lock.take(path, "run a")
    assert lock.take(path, "run b", force=True) == "run a"
    assert lock.holder(path) == "run b"


def test_a_run_releases_its_own_lock_only(tmp_path):
    path = str(tmp_path / "lock")
    lock.take(path, "run a")
    lock.take(path, "run b", force=True)
    assert lock.release(path, "run a") is False
    assert lock.holder(path) == "run b"
    assert lock.release(path, "run b") is True
    assert lock.holder(path) is None
    assert lock.release(path, "run b") is False


def test_a_lock_whose_maker_died_before_naming_itself_is_still_held(tmp_path):
    path = tmp_path / "lock"
    path.mkdir()
    with pytest.raises(lock.Held) as held:
        lock.take(str(path), "run b")
    assert str(held.value) == lock.UNKNOWN
