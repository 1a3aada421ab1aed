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
  - The release id is the app's version plus a hash of the app's wheel and its pins, so the
    same content always gives the same id, nothing is redeployed, and every host of a fleet
    runs the same release whatever its Python. Each target gets its own directory of
    wheels under the release.
  - With I(static_dir), the app's static files are taken out of its wheel into the
    release's C(static) directory, for web hosts that serve them without running the app.
  - The wheels are also packed into one uncompressed tar beside their directory, so that a
    host receives its wheelhouse in one transfer.
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
        install its dependencies from an index, with the constraints shipped beside it).
    type: bool
    default: true
  static_dir:
    description: Directory of the static files inside the app's wheel (package/static); "" for none.
    type: str
    default: ""
  installer:
    description:
      - A pip requirement (such as C(pip==25.3)) downloaded with the dependencies: the pip
        the hosts run from its wheel to install the rest, so that the release's virtualenv
        needs no pip of its own. Returned as I(installer). Ignored without I(dependencies).
    type: str
    default: ""
"""

RETURN = r"""
release:
  description: Release id, the app's version and a hash of its wheel and pins.
  type: str
  returned: success
static:
  description: Directory of the release's static files on the controller; "" without static_dir.
  type: str
  returned: success
static_archive:
  description: The static files in one tar (I(static) with C(.tar) appended); "" without static_dir.
  type: str
  returned: success
version:
  description: The app's version, from its wheel.
  type: str
  returned: success
path:
  description: Directory holding the release's wheels for the target.
  type: str
  returned: success
archive:
  description: The same wheels in one tar file (I(path) with C(.tar) appended).
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
installer:
  description: File name of the installer's wheel inside I(path); "" without I(installer).
  type: str
  returned: success
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
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
RELEASE_SCHEME = 3
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
    resolved once per target and set of declared requirements (dependencies_key); pin
    them (constraints) to choose when they move.
    """
    digest = hashlib.sha256(f"scheme {RELEASE_SCHEME}\n".encode())
    keys = ("python_version", "architecture", "index_url", "dependencies", "requirements")
    for key in (*keys, "installer", "static_dir"):
        digest.update(f"{key}={params[key]!r}\n".encode())
    _hash_tree(digest, params["source"])
    if params["constraints"]:
        _hash_tree(digest, params["constraints"])
    return digest.hexdigest()


def release_id(version, app_wheel, params):
    """The release's name: the app's version and a hash of what it is made of (the app's
    code and its pins), the same whatever Python installs it, so that every host of a
    fleet reports the same release. Hosts note which Python built their copy."""
    digest = hashlib.sha256(content_digest([app_wheel]).encode())
    digest.update(f"dependencies={params['dependencies']}\n".encode())
    for requirement in params["requirements"]:
        digest.update(f"requirement={requirement}\n".encode())
    # A release cached before it had an installer must not be taken for one that has.
    if params["installer"] and params["dependencies"]:
        digest.update(f"installer={params['installer']}\n".encode())
    if params["constraints"]:
        with open(params["constraints"], "rb") as handle:
            digest.update(handle.read())
    return f"{version}-{digest.hexdigest()[:12]}"


def extract_static(app_wheel, static_dir, dest):
    """Copy the files under STATIC_DIR in the app's wheel to DEST; False if there are none."""
    prefix = static_dir.strip("/") + "/"
    with zipfile.ZipFile(app_wheel) as archive:
        names = [name for name in archive.namelist() if name.startswith(prefix)]
        for name in names:
            target = os.path.join(dest, name[len(prefix) :])
            if name.endswith("/"):
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(name) as source, open(target, "wb") as copy:
                shutil.copyfileobj(source, copy)
    return bool(names)


def _owned_by_root(member):
    """A member as the hosts keep it: root's, readable by all (the controller's own user
    and umask do not travel)."""
    member.uid = member.gid = 0
    member.uname = member.gname = "root"
    member.mode = 0o755 if member.isdir() else 0o644
    return member


def pack(path):
    """The files of PATH (the wheels, or the static files) in one tar beside it, made once.
    Wheels are zip files already, so the tar is not compressed; shipping one file costs one
    transfer instead of round trips per file (the copy module's way with a directory)."""
    archive = path + ".tar"
    if not os.path.isfile(archive):
        # Staged under a name of its own: two runs on one controller may pack at once.
        staged = f"{archive}.{os.getpid()}.part"
        with tarfile.open(staged, "w") as tar:
            for name in sorted(os.listdir(path)):
                tar.add(os.path.join(path, name), arcname=name, filter=_owned_by_root)
        os.replace(staged, archive)
    return archive


def put_in_place(staged, path):
    """Move the directory STAGED to PATH; False when PATH is there already, as when
    another run on this controller built the same release at the same time (same
    inputs, same wheels: its copy serves)."""
    try:
        os.rename(staged, path)
    except OSError:
        if os.path.isdir(path):
            return False
        raise
    return True


def write_atomically(path, text):
    staged = f"{path}.{os.getpid()}.part"
    with open(staged, "w") as handle:
        handle.write(text)
    os.replace(staged, path)


def wheel_of(requirement, wheels):
    """The file name among WHEELS of the distribution REQUIREMENT names ("pip==25.3")."""
    wanted = re.split(r"[\s\[<>=!~;@]", requirement.strip(), maxsplit=1)[0]
    wanted = re.sub(r"[-_.]+", "_", wanted).lower()
    found = [name for name in wheels if name.split("-")[0].lower() == wanted]
    return found[0] if len(found) == 1 else ""


def app_wheel_of(module, source, dest, workdir):
    """The app's wheel built from the project directory SOURCE, built once per content of
    SOURCE: a play whose app hosts run two Pythons builds it for the first and takes the
    same file for the second (the wheel is pure Python), about 4 s saved per target."""
    digest = hashlib.sha256()
    _hash_tree(digest, source)
    cached = os.path.join(dest, ".app-wheels", digest.hexdigest())
    if not os.path.isdir(cached):
        built = os.path.join(workdir, "app-wheel")
        os.mkdir(built)
        pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
        run(module, [*pip_wheel, "-w", built, source])
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        put_in_place(built, cached)
    return [os.path.join(cached, name) for name in os.listdir(cached)]


def dependencies_key(params, app_wheel):
    """What the wheels pip downloads beside APP_WHEEL depend on: the requirements the app
    declares (not its code), the pins, the extra requirements and the target. A new
    release of the same dependencies then skips pip's download (two index lookups per
    package, about 5 s per target)."""
    digest = hashlib.sha256(f"scheme {RELEASE_SCHEME}\n".encode())
    for key in ("python_version", "architecture", "index_url", "requirements", "installer"):
        digest.update(f"{key}={params[key]!r}\n".encode())
    if params["constraints"]:
        _hash_tree(digest, params["constraints"])
    with zipfile.ZipFile(app_wheel) as archive:
        metadata = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        text = archive.read(metadata[0]).decode() if metadata else ""
    declared = sorted(line for line in text.splitlines() if line.startswith("Requires-Dist:"))
    digest.update("\n".join(declared).encode())
    return digest.hexdigest()


def download_dependencies(module, app_wheel, app_dir, workdir):
    """Every wheel the app needs beside its own into APP_DIR: from the controller's cache
    of an earlier build with the same dependencies_key, or downloaded (and then cached)."""
    params = module.params
    cached = os.path.join(params["dest"], ".dependencies", dependencies_key(params, app_wheel))
    if os.path.isdir(cached):
        for name in os.listdir(cached):
            shutil.copy(os.path.join(cached, name), app_dir)
        return
    argv = download_argv(
        sys.executable,
        params["python_version"],
        params["architecture"],
        app_dir,
        constraints=params["constraints"],
        index_url=params["index_url"],
    )
    installer = [params["installer"]] if params["installer"] else []
    run(module, [*argv, app_wheel, *params["requirements"], *installer])
    staged = os.path.join(workdir, "dependencies")
    os.mkdir(staged)
    for name in os.listdir(app_dir):
        if name != os.path.basename(app_wheel):
            shutil.copy(os.path.join(app_dir, name), staged)
    os.makedirs(os.path.dirname(cached), exist_ok=True)
    put_in_place(staged, cached)


def build(module, workdir):
    params = module.params
    source = params["source"]
    # A relative path would resolve against the module's working directory, and a name
    # pip does not find on disk it looks up on the package index: never guess.
    if not os.path.isabs(source) or not os.path.exists(source):
        module.fail_json(msg=f"flaskapp_source: expected an existing absolute path, got {source}")
    app_dir = os.path.join(workdir, "app")
    os.mkdir(app_dir)
    if os.path.isdir(source):
        for wheel in app_wheel_of(module, source, params["dest"], workdir):
            shutil.copy(wheel, app_dir)
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

    release = release_id(version, app_wheel, params)
    if not params["dependencies"]:
        if params["constraints"]:
            # Shipped beside the wheel so the hosts resolve the same pins from the index.
            shutil.copy(params["constraints"], os.path.join(app_dir, "constraints.txt"))
        return project, version, release, app_dir, os.path.basename(app_wheel), ""

    download_dependencies(module, app_wheel, app_dir, workdir)
    installer_wheel = ""
    if params["installer"]:
        installer_wheel = wheel_of(params["installer"], os.listdir(app_dir))
        if not installer_wheel:
            module.fail_json(msg=f"installer {params['installer']}: pip downloaded no wheel of it")
    return project, version, release, app_dir, os.path.basename(app_wheel), installer_wheel


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
            "static_dir": {"type": "str", "default": ""},
            "installer": {"type": "str", "default": ""},
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
            # Builds cached before archives existed get theirs now.
            result["archive"] = pack(result["path"])
            result["static_archive"] = pack(result["static"]) if result["static"] else ""
            module.exit_json(changed=False, **result)

    params = module.params
    workdir = tempfile.mkdtemp(dir=dest, prefix=".build-")
    try:
        project, version, release, built, wheel, installer = build(module, workdir)
        # One directory of wheels per target under the release, and its static files.
        path = os.path.join(dest, release, f"{params['python_version']}-{params['architecture']}")
        static = os.path.join(dest, release, "static") if params["static_dir"] else ""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        changed = not os.path.isdir(path) and put_in_place(built, path)
        if static and not os.path.isdir(static):
            staged = os.path.join(workdir, "static")
            if not extract_static(os.path.join(path, wheel), params["static_dir"], staged):
                module.fail_json(msg=f"{params['static_dir']} holds no file in {wheel}")
            put_in_place(staged, static)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "release": release,
        "version": version,
        "path": path,
        "archive": pack(path),
        "static": static,
        "static_archive": pack(static) if static else "",
        "project": project,
        "wheel": wheel,
        "installer": installer,
    }
    write_atomically(known, json.dumps(result))
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
