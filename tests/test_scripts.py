"""The helper scripts say what is wrong, and change nothing, when they cannot proceed."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


@pytest.fixture
def shared_dir():
    """A directory an unprivileged user can reach (pytest's own tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp())
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def no_docker_engine(shared_dir):
    """A PATH whose `docker` answers like a client with no engine, and no dockerd."""
    bin_dir = shared_dir / "bin"
    bin_dir.mkdir(mode=0o755)
    fake = bin_dir / "docker"
    fake.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    fake.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}


def _run(argv, env=None, user=None):
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=60)


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to drop to another user"
)
def test_ensure_docker_without_engine_and_without_root_says_what_to_do(
    no_docker_engine, shared_dir
):
    # A copy the unprivileged user can reach wherever the checkout lives (/root is 0700).
    script = shared_dir / "ensure-docker.sh"
    shutil.copy(SCRIPTS / "ensure-docker.sh", script)
    script.chmod(0o755)
    result = _run([str(script)], env=no_docker_engine, user=65534)
    assert result.returncode == 1
    assert "no Docker engine answers" in result.stderr
    assert "not root" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the root path is what is under test")
def test_ensure_docker_refuses_to_install_on_another_system(no_docker_engine, tmp_path):
    os_release = tmp_path / "os-release"
    os_release.write_text('ID=fedora\nNAME="Fedora Linux"\n')
    env = {**no_docker_engine, "OS_RELEASE_FILE": str(os_release)}
    result = _run([str(SCRIPTS / "ensure-docker.sh")], env=env)
    assert result.returncode == 1
    assert "not Debian" in result.stderr


def test_image_builder_names_the_allowed_suites():
    result = _run([str(SCRIPTS / "build-target-image.sh"), "buster"])
    assert result.returncode == 2
    assert "suite must be bookworm or trixie, got 'buster'" in result.stderr


def test_demo_script_prints_its_usage():
    result = _run([str(SCRIPTS / "demo.sh")])
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_target_host_script_prints_its_usage():
    result = _run([str(SCRIPTS / "target-host.sh")])
    assert result.returncode == 2
    assert "usage:" in result.stderr
