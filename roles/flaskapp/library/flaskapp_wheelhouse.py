#!/usr/bin/python
"""Build a wheelhouse for one target Python on the controller.

The servers install the app offline (pip --no-index) from what this module builds:
the app's wheel plus every dependency as a binary wheel for the target's Python
version and architecture, which may differ from the controller's.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: flaskapp_wheelhouse
short_description: Build an app's wheelhouse for a target Python version on the controller
description:
  - Builds the app's wheel (from a project directory) or takes a built wheel, then downloads
    binary wheels of its dependencies for the target Python version and architecture.
  - The release id is the app's version plus a hash of the contents of every wheel, so the
    same content always gives the same id and nothing is redeployed.
options:
  source:
    description: Project directory (with pyproject.toml) or a built wheel file.
    type: path
    required: true
  dest:
    description: Directory under which one sub-directory per release is kept.
    type: path
    required: true
  python_version:
    description: Target Python version, major.minor (for example C(3.13)).
    type: str
    required: true
  architecture:
    description: Target machine architecture (for example C(x86_64), C(aarch64)).
    type: str
    required: true
  requirements:
    description: Extra requirements shipped with the app, such as the gunicorn pin.
    type: list
    elements: str
    default: []
  constraints:
    description: Constraints file pinning the app's dependencies.
    type: path
  index_url:
    description: Package index to download from; the pip default when empty.
    type: str
    default: ""
  dependencies:
    description:
      - Download the dependencies too. When false only the app's wheel is kept (the hosts
        install its dependencies from an index) and the requirements and constraints are
        part of the release hash instead.
    type: bool
    default: true
"""

RETURN = r"""
release:
  description: Release id, the app's version and a content hash.
  type: str
  returned: success
version:
  description: The app's version, from its wheel.
  type: str
  returned: success
path:
  description: Directory holding the release's wheels.
  type: str
  returned: success
project:
  description: The app's distribution name.
  type: str
  returned: success
wheel:
  description: File name of the app's wheel inside I(path).
  type: str
  returned: success
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

from ansible.module_utils.basic import AnsibleModule

# Wheels built from source carry a timestamp: fix it so rebuilding gives the same bytes.
REPRODUCIBLE_EPOCH = "315532800"
# Debian 12 and 13 ship glibc 2.36 and 2.41: manylinux wheels up to 2.36 run on both.
GLIBC_TAGS = ("2_36", "2_35", "2_34", "2_31", "2_28", "2_27", "2_24", "2_17")


def run(module, argv, cwd=None):
    env = dict(os.environ, SOURCE_DATE_EPOCH=REPRODUCIBLE_EPOCH, PIP_DISABLE_PIP_VERSION_CHECK="1")
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        module.fail_json(
            msg=f"{' '.join(argv[:4])} ... failed: {proc.stderr.strip()[-2000:]}",
            cmd=argv,
            stdout=proc.stdout[-2000:],
        )
    return proc


def platform_tags(architecture):
    """pip platform tags of binary wheels that run on every supported Debian release."""
    tags = [f"manylinux_{glibc}_{architecture}" for glibc in GLIBC_TAGS]
    return [*tags, f"manylinux2014_{architecture}", f"linux_{architecture}"]


def download_argv(python, python_version, architecture, dest, constraints=None, index_url=""):
    """pip download for another interpreter: binary wheels only, for its version, ABI and CPU."""
    major, minor = python_version.split(".")[:2]
    argv = [python, "-m", "pip", "download", "--quiet", "--only-binary=:all:"]
    argv += ["--python-version", f"{major}.{minor}", "--implementation", "cp"]
    for abi in (f"cp{major}{minor}", "abi3", "none"):
        argv += ["--abi", abi]
    argv += ["-d", dest]
    for platform in platform_tags(architecture):
        argv += ["--platform", platform]
    if constraints:
        argv += ["-c", constraints]
    if index_url:
        argv += ["--index-url", index_url]
    return argv


def content_digest(wheels):
    """Hash what the wheels contain, not their zip metadata."""
    digest = hashlib.sha256()
    for wheel in sorted(wheels, key=os.path.basename):
        digest.update(os.path.basename(wheel).encode())
        with zipfile.ZipFile(wheel) as archive:
            for name in sorted(archive.namelist()):
                digest.update(name.encode())
                digest.update(hashlib.sha256(archive.read(name)).digest())
    return digest.hexdigest()


# Bumped whenever the way release ids are derived changes, so cached builds are redone.
RELEASE_SCHEME = 2
# Not part of what gets built: caches, virtualenvs, VCS data and earlier build output.
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".tox",
    "build",
    "dist",
}


def _hash_tree(digest, root):
    if os.path.isfile(root):
        paths = [root]
    else:
        paths = []
        for directory, dirs, files in os.walk(root):
            dirs[:] = sorted(
                d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")
            )
            paths += [os.path.join(directory, name) for name in sorted(files)]
    for path in paths:
        digest.update(os.path.relpath(path, root).encode())
        with open(path, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())


def inputs_digest(params):
    """Hash of everything a build depends on: the same inputs give the same release.

    Lets a repeated deploy skip pip altogether. Unpinned dependencies are therefore
    resolved once per source and target; pin them (constraints) to choose when they move.
    """
    digest = hashlib.sha256(f"scheme {RELEASE_SCHEME}\n".encode())
    for key in ("python_version", "architecture", "index_url", "dependencies", "requirements"):
        digest.update(f"{key}={params[key]!r}\n".encode())
    _hash_tree(digest, params["source"])
    if params["constraints"]:
        _hash_tree(digest, params["constraints"])
    return digest.hexdigest()


def _release_hash(content, params):
    """Short hash naming a release: what is shipped, and the Python it was built for.

    The target is part of it so that a host whose Python changes (Debian 12 to 13)
    gets a new virtualenv instead of reusing one built for an interpreter now gone.
    """
    target = f"{params['python_version']}/{params['architecture']}"
    return hashlib.sha256(f"{content}|{target}".encode()).hexdigest()[:12]


def build(module, workdir):
    params = module.params
    python = sys.executable
    source = params["source"]
    # A relative path would resolve against the module's working directory, and a name
    # pip does not find on disk it looks up on the package index: never guess.
    if not os.path.isabs(source) or not os.path.exists(source):
        module.fail_json(msg=f"flaskapp_source: expected an existing absolute path, got {source}")
    app_dir = os.path.join(workdir, "app")
    os.mkdir(app_dir)
    if os.path.isdir(source):
        run(module, [python, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", app_dir, source])
    elif os.path.isfile(source) and source.endswith(".whl"):
        shutil.copy(source, app_dir)
    else:
        module.fail_json(
            msg=f"flaskapp_source: expected a project directory or a .whl file, got {source}"
        )
    wheels = [os.path.join(app_dir, name) for name in os.listdir(app_dir)]
    if len(wheels) != 1:
        module.fail_json(msg=f"expected one app wheel from {source}, got {os.listdir(app_dir)}")
    app_wheel = wheels[0]
    project, version = os.path.basename(app_wheel).split("-")[:2]

    if not params["dependencies"]:
        pins = "\n".join(params["requirements"])
        if params["constraints"]:
            with open(params["constraints"]) as handle:
                pins += "\n" + handle.read()
            # Shipped beside the wheel so the hosts resolve the same pins from the index.
            shutil.copy(params["constraints"], os.path.join(app_dir, "constraints.txt"))
        digest = content_digest([app_wheel]) + hashlib.sha256(pins.encode()).hexdigest()
        release = f"{version}-{_release_hash(digest, params)}"
        return project, version, release, app_dir, os.path.basename(app_wheel)

    argv = download_argv(
        python,
        params["python_version"],
        params["architecture"],
        app_dir,
        constraints=params["constraints"],
        index_url=params["index_url"],
    )
    run(module, [*argv, app_wheel, *params["requirements"]])

    wheels = sorted(os.path.join(app_dir, name) for name in os.listdir(app_dir))
    release = f"{version}-{_release_hash(content_digest(wheels), params)}"
    return project, version, release, app_dir, os.path.basename(app_wheel)


def main():
    module = AnsibleModule(
        argument_spec={
            "source": {"type": "path", "required": True},
            "dest": {"type": "path", "required": True},
            "python_version": {"type": "str", "required": True},
            "architecture": {"type": "str", "required": True},
            "requirements": {"type": "list", "elements": "str", "default": []},
            "constraints": {"type": "path"},
            "index_url": {"type": "str", "default": ""},
            "dependencies": {"type": "bool", "default": True},
        },
        # Building only touches the controller's cache, never a managed host,
        # so it runs in check mode too and later tasks can compare releases.
        supports_check_mode=True,
    )
    dest = module.params["dest"]
    os.makedirs(os.path.join(dest, ".inputs"), exist_ok=True)
    known = os.path.join(dest, ".inputs", inputs_digest(module.params) + ".json")
    if os.path.isfile(known):
        with open(known) as handle:
            result = json.load(handle)
        if os.path.isdir(result["path"]):
            module.exit_json(changed=False, **result)

    workdir = tempfile.mkdtemp(dir=dest, prefix=".build-")
    try:
        project, version, release, built, wheel = build(module, workdir)
        path = os.path.join(dest, release)
        changed = not os.path.isdir(path)
        if changed:
            os.rename(built, path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "release": release,
        "version": version,
        "path": path,
        "project": project,
        "wheel": wheel,
    }
    with open(known, "w") as handle:
        json.dump(result, handle)
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
