"""The snapshot module behind every change that must be all or nothing (roles/common)."""

import os

import pytest
from library import role_module

snapshot = role_module("common", "path_snapshot")


@pytest.fixture
def tree(tmp_path):
    """A configuration directory with files, a link and a sub-directory, plus a release link."""
    conf = tmp_path / "etc" / "app"
    (conf / "sites").mkdir(parents=True)
    (conf / "main.conf").write_text("workers 2\n")
    (conf / "secret.key").write_text("key\n")
    (conf / "secret.key").chmod(0o600)
    (conf / "sites" / "a.conf").write_text("site a\n")
    (conf / "enabled.conf").symlink_to("sites/a.conf")
    (tmp_path / "releases" / "1").mkdir(parents=True)
    (tmp_path / "releases" / "2").mkdir()
    (tmp_path / "current").symlink_to("releases/1")
    return tmp_path


def listing(root):
    """Everything a restore must bring back: paths, kinds, modes, link targets, contents."""
    seen = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            seen[os.path.relpath(path, root)] = snapshot._describe(path)
    return seen


def paths(tree):
    return [str(tree / "etc" / "app"), str(tree / "current"), str(tree / "new.conf")]


def test_restore_undoes_every_kind_of_change(tree, tmp_path_factory):
    before = listing(tree)
    taken = snapshot.take(paths(tree), str(tmp_path_factory.mktemp("snapshots")))
    conf = tree / "etc" / "app"
    (conf / "main.conf").write_text("workers 9\n")  # changed
    (conf / "secret.key").chmod(0o644)  # mode only
    (conf / "sites" / "a.conf").unlink()  # removed
    (conf / "sites" / "b.conf").write_text("site b\n")  # added
    (conf / "enabled.conf").unlink()
    (conf / "enabled.conf").symlink_to("sites/b.conf")  # link moved
    (tree / "current").unlink()
    (tree / "current").symlink_to("releases/2")
    (tree / "new.conf").write_text("did not exist\n")  # new at a snapshotted path

    restored = snapshot.restore(taken)

    assert listing(tree) == before
    assert sorted(os.path.relpath(path, tree) for path in restored) == [
        "current",
        "etc/app/enabled.conf",
        "etc/app/main.conf",
        "etc/app/secret.key",
        "etc/app/sites/a.conf",
        "etc/app/sites/b.conf",
        "new.conf",
    ]
    assert not os.path.exists(taken), "the snapshot is dropped after a restore"


def test_compare_names_what_changed_and_changes_nothing(tree, tmp_path_factory):
    taken = snapshot.take(paths(tree), str(tmp_path_factory.mktemp("snapshots")))
    assert snapshot.compare(taken) == []
    (tree / "etc" / "app" / "main.conf").write_text("workers 9\n")
    changed = listing(tree)
    assert snapshot.compare(taken) == [str(tree / "etc" / "app" / "main.conf")]
    assert listing(tree) == changed
    assert snapshot.restore(taken) == [str(tree / "etc" / "app" / "main.conf")]


def test_restore_of_an_unchanged_tree_reports_nothing(tree, tmp_path_factory):
    before = listing(tree)
    taken = snapshot.take(paths(tree), str(tmp_path_factory.mktemp("snapshots")))
    assert snapshot.restore(taken) == []
    assert listing(tree) == before


def test_a_directory_replaced_by_a_file_comes_back(tree, tmp_path_factory):
    before = listing(tree)
    taken = snapshot.take(paths(tree), str(tmp_path_factory.mktemp("snapshots")))
    conf = tree / "etc" / "app"
    for entry in sorted(conf.rglob("*"), reverse=True):
        entry.unlink() if entry.is_file() or entry.is_symlink() else entry.rmdir()
    conf.rmdir()
    conf.write_text("not a directory\n")
    snapshot.restore(taken)
    assert listing(tree) == before


def test_snapshot_directory_is_private(tree, tmp_path_factory):
    root = tmp_path_factory.mktemp("snapshots") / "flaskstack"
    taken = snapshot.take(paths(tree), str(root))
    assert os.stat(taken).st_mode & 0o077 == 0
    snapshot.drop(taken)
    assert not os.path.exists(taken)


def test_differences_name_each_file(tree):
    other = tree / "copy"
    other.mkdir()
    (other / "main.conf").write_text("workers 2\n")
    (tree / "etc" / "app" / "main.conf").write_text("workers 3\n")
    found = snapshot.differences(str(tree / "etc" / "app" / "main.conf"), str(other / "main.conf"))
    assert found == [str(tree / "etc" / "app" / "main.conf")]
