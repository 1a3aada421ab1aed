"""The wheelhouse module's release ids and target detection (roles/flaskapp/library)."""

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from library import ROOT, role_module

wheelhouse = role_module("flaskapp", "flaskapp_wheelhouse")


def make_wheel(directory: Path, files: dict[str, str], date=(2020, 1, 1, 0, 0, 0)) -> Path:
    wheel = directory / "demo-1.2.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=date), content)
    return wheel


def params(source: Path, **overrides) -> dict:
    return {
        "source": str(source),
        "python_version": "3.13",
        "architecture": "x86_64",
        "index_url": "",
        "dependencies": True,
        "requirements": ["gunicorn==27.0.1"],
        "constraints": None,
        "static_dir": "",
        "installer": "pip==25.3",
        **overrides,
    }


def test_platform_tags_stop_at_the_oldest_supported_glibc():
    tags = wheelhouse.platform_tags("aarch64")
    assert tags[0] == "manylinux_2_36_aarch64"  # Debian 12's glibc: wheels must run there too
    assert "manylinux2014_aarch64" in tags
    assert all(tag.endswith("_aarch64") for tag in tags)


@pytest.mark.parametrize(
    ("version", "minor", "abi"), [("3.11", "3.11", "cp311"), ("3.13.5", "3.13", "cp313")]
)
def test_download_targets_the_hosts_interpreter(version, minor, abi):
    argv = wheelhouse.download_argv("py", version, "x86_64", "/out", constraints="/c.txt")
    assert argv[argv.index("--python-version") + 1] == minor
    assert abi in argv
    assert "--only-binary=:all:" in argv  # the hosts have no compiler
    assert argv[argv.index("-c") + 1] == "/c.txt"
    assert "--index-url" not in argv


def test_content_digest_ignores_zip_timestamps_but_not_content(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    first = make_wheel(tmp_path / "a", {"demo/__init__.py": "x = 1\n"})
    rebuilt = make_wheel(
        tmp_path / "b", {"demo/__init__.py": "x = 1\n"}, date=(2024, 5, 5, 1, 2, 3)
    )
    changed = make_wheel(tmp_path / "c", {"demo/__init__.py": "x = 2\n"})
    assert wheelhouse.content_digest([first]) == wheelhouse.content_digest([rebuilt])
    assert wheelhouse.content_digest([first]) != wheelhouse.content_digest([changed])


def test_inputs_digest_follows_sources_and_target_but_not_caches(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.py").write_text("print(1)\n")
    base = wheelhouse.inputs_digest(params(tmp_path))
    for cache in (".git", "__pycache__", "build", ".venv", "demo.egg-info"):
        (tmp_path / cache).mkdir()
        (tmp_path / cache / "junk").write_text("ignored\n")
    assert wheelhouse.inputs_digest(params(tmp_path)) == base
    assert wheelhouse.inputs_digest(params(tmp_path, python_version="3.11")) != base
    (tmp_path / "pkg" / "app.py").write_text("print(2)\n")
    assert wheelhouse.inputs_digest(params(tmp_path)) != base


def test_release_id_is_the_same_for_every_target(tmp_path):
    wheel = make_wheel(tmp_path, {"demo/__init__.py": "x = 1\n"})
    bookworm = wheelhouse.release_id("1.2.3", str(wheel), params(tmp_path, python_version="3.11"))
    trixie = wheelhouse.release_id("1.2.3", str(wheel), params(tmp_path, python_version="3.13"))
    assert bookworm == trixie
    assert bookworm.startswith("1.2.3-") and len(bookworm) == len("1.2.3-") + 12


def test_release_id_follows_the_pins(tmp_path):
    wheel = make_wheel(tmp_path, {"demo/__init__.py": "x = 1\n"})
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("flask==3.1.3\n")
    pinned = wheelhouse.release_id(
        "1.2.3", str(wheel), params(tmp_path, constraints=str(constraints))
    )
    constraints.write_text("flask==3.1.4\n")
    moved = wheelhouse.release_id(
        "1.2.3", str(wheel), params(tmp_path, constraints=str(constraints))
    )
    assert pinned != moved


def test_release_id_follows_the_installer_only_when_it_is_shipped(tmp_path):
    wheel = make_wheel(tmp_path, {"demo/__init__.py": "x = 1\n"})

    def release(**overrides):
        return wheelhouse.release_id("1.2.3", str(wheel), params(tmp_path, **overrides))

    # A release cached without pip's wheel is never taken for one that ships it.
    assert release() != release(installer="")
    assert release(dependencies=False) == release(dependencies=False, installer="")


@pytest.mark.parametrize(
    ("requirement", "found"),
    [
        ("pip==25.3", "pip-25.3-py3-none-any.whl"),
        ("pip >= 25", "pip-25.3-py3-none-any.whl"),
        ("typing-extensions==4.16.0", "typing_extensions-4.16.0-py3-none-any.whl"),
        ("wheel", ""),
    ],
)
def test_the_installers_wheel_is_found_by_its_distribution_name(requirement, found):
    wheels = [
        "pip-25.3-py3-none-any.whl",
        "pipx-1.7.1-py3-none-any.whl",
        "typing_extensions-4.16.0-py3-none-any.whl",
    ]
    assert wheelhouse.wheel_of(requirement, wheels) == found


def test_the_apps_wheel_is_built_once_for_every_target(tmp_path, monkeypatch):
    builds = []

    def pip_wheel(module, argv, cwd=None):
        builds.append(argv)
        out = Path(argv[argv.index("-w") + 1])
        (out / "demo-1.2.3-py3-none-any.whl").write_text(f"build {len(builds)}")

    monkeypatch.setattr(wheelhouse, "run", pip_wheel)
    source, dest = tmp_path / "app", tmp_path / "cache"
    source.mkdir()
    (source / "pyproject.toml").write_text("[project]\nname = 'demo'\n")

    def wheel_for_one_target(n: int) -> Path:
        workdir = tmp_path / f"work{n}"
        workdir.mkdir()
        (wheel,) = wheelhouse.app_wheel_of(None, str(source), str(dest), str(workdir))
        return Path(wheel)

    first, second = wheel_for_one_target(1), wheel_for_one_target(2)
    assert len(builds) == 1
    assert first == second and first.read_text() == "build 1"
    # Another content of the app is another wheel.
    (source / "app.py").write_text("x = 2\n")
    assert wheel_for_one_target(3).read_text() == "build 2"


def test_dependencies_are_downloaded_again_only_when_what_they_depend_on_changes(tmp_path):
    def wheel(name: str, code: str, requires: str) -> str:
        directory = tmp_path / name
        directory.mkdir()
        metadata = f"Name: demo\nVersion: 1.2.3\nRequires-Dist: {requires}\n"
        files = {"demo/__init__.py": code, "demo-1.2.3.dist-info/METADATA": metadata}
        return str(make_wheel(directory, files))

    constraints = tmp_path / "constraints.txt"
    constraints.write_text("flask==3.1.3\n")
    pinned = params(tmp_path, constraints=str(constraints))
    key = wheelhouse.dependencies_key(pinned, wheel("a", "x = 1\n", "flask>=3.1"))
    # New code, same declared requirements: the same wheels serve.
    assert wheelhouse.dependencies_key(pinned, wheel("b", "x = 2\n", "flask>=3.1")) == key
    assert wheelhouse.dependencies_key(pinned, wheel("c", "x = 1\n", "flask>=3.0")) != key
    other_target = {**pinned, "python_version": "3.11"}
    assert wheelhouse.dependencies_key(other_target, wheel("d", "x = 1\n", "flask>=3.1")) != key
    constraints.write_text("flask==3.1.4\n")
    assert wheelhouse.dependencies_key(pinned, wheel("e", "x = 1\n", "flask>=3.1")) != key


def test_static_files_come_out_of_the_wheel(tmp_path):
    wheel = make_wheel(
        tmp_path,
        {"demo/__init__.py": "", "demo/static/app.js": "js", "demo/static/img/logo.svg": "svg"},
    )
    assert wheelhouse.extract_static(str(wheel), "demo/static", tmp_path / "out")
    found = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.*"))
    assert found == ["app.js", "img/logo.svg"]
    assert not wheelhouse.extract_static(str(wheel), "demo/assets", tmp_path / "none")


def run_module(**args) -> dict:
    """Run the real module on this controller, as the role's build step does."""
    ansible = Path(sys.executable).parent / "ansible"
    argv = [str(ansible), "localhost", "-o", "-M", str(ROOT / "roles/flaskapp/library")]
    argv += ["-m", "flaskapp_wheelhouse", "-a", json.dumps(args)]
    env = dict(
        os.environ, ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False"
    )
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out.split("=>", 1)[1])


@pytest.fixture
def wheel_args(tmp_path):
    """The module's arguments for a built wheel of its own, for Python 3.13 on x86_64:
    (the wheel, the arguments)."""
    wheel = make_wheel(tmp_path, {"demo/__init__.py": "x = 1\n"})
    return wheel, {
        "source": str(wheel),
        "dest": str(tmp_path / "cache"),
        "python_version": "3.13",
        "architecture": "x86_64",
        # Only the app's wheel: no package index is needed for these tests.
        "dependencies": False,
    }


def test_a_built_wheel_gets_a_stable_release_id(tmp_path, wheel_args):
    wheel, args = wheel_args
    first = run_module(**args)
    again = run_module(**args)
    assert first["changed"] is True
    assert again["changed"] is False
    assert again["release"] == first["release"]
    assert first["release"].startswith("1.2.3-")
    assert (first["project"], first["version"], first["wheel"]) == ("demo", "1.2.3", wheel.name)
    assert sorted(os.listdir(first["path"])) == [wheel.name]
    assert first["path"] == str(tmp_path / "cache" / first["release"] / "3.13-x86_64")


def test_the_wheelhouse_ships_as_one_archive_of_its_wheels(wheel_args):
    wheel, args = wheel_args
    first = run_module(**args)
    assert first["archive"] == first["path"] + ".tar"
    with tarfile.open(first["archive"]) as archive:
        assert archive.getnames() == [wheel.name]
    # A build cached before archives existed gets one.
    os.remove(first["archive"])
    assert run_module(**args)["archive"] == first["archive"]
    assert os.path.isfile(first["archive"])


def test_a_release_another_run_put_in_place_first_is_used_as_it_is(tmp_path):
    # Two runs on one controller building the same release: the second finds it there.
    ours, theirs, path = tmp_path / "ours", tmp_path / "theirs", tmp_path / "release"
    for directory, wheel in ((ours, "ours.whl"), (theirs, "theirs.whl")):
        directory.mkdir()
        (directory / wheel).write_text(wheel)
    assert wheelhouse.put_in_place(str(theirs), str(path)) is True
    assert wheelhouse.put_in_place(str(ours), str(path)) is False
    assert [p.name for p in path.iterdir()] == ["theirs.whl"]


def test_a_missing_parent_is_still_an_error(tmp_path):
    (tmp_path / "built").mkdir()
    with pytest.raises(FileNotFoundError):
        wheelhouse.put_in_place(str(tmp_path / "built"), str(tmp_path / "no" / "release"))


def test_cache_records_are_written_whole_or_not_at_all(tmp_path):
    record = tmp_path / "inputs.json"
    wheelhouse.write_atomically(str(record), '{"release": "a"}')
    wheelhouse.write_atomically(str(record), '{"release": "b"}')
    assert json.loads(record.read_text()) == {"release": "b"}
    assert [p.name for p in tmp_path.iterdir()] == ["inputs.json"]


def test_the_static_files_ship_as_one_archive_owned_by_root(tmp_path):
    wheel = make_wheel(
        tmp_path,
        {"demo/__init__.py": "", "demo/static/app.js": "js", "demo/static/img/logo.svg": "svg"},
    )
    cache = tmp_path / "cache"
    args = {"source": str(wheel), "dest": str(cache), "python_version": "3.13"}
    built = run_module(**args, architecture="x86_64", dependencies=False, static_dir="demo/static")
    assert built["static_archive"] == built["static"] + ".tar"
    with tarfile.open(built["static_archive"]) as archive:
        members = {m.name: (m.uname, m.uid, oct(m.mode)) for m in archive.getmembers()}
    assert members == {
        "app.js": ("root", 0, "0o644"),
        "img": ("root", 0, "0o755"),
        "img/logo.svg": ("root", 0, "0o644"),
    }
