"""The one mechanism behind every all-or-nothing change of the roles (roles/common)."""

import http.server
import os
import socketserver
import threading
from typing import ClassVar

import pytest
from library import role_module

guarded = role_module("common", "guarded_change")


def entries(tmp_path, workers="2", target="releases/2", **extra):
    files = [
        {
            "path": str(tmp_path / "etc" / "app.conf"),
            "content": f"workers {workers}\n",
            "notify": ["reload"],
        },
        {"path": str(tmp_path / "current"), "src": target, "notify": ["restart"]},
        {"path": str(tmp_path / "state"), "state": "directory", "mode": "0750"},
    ]
    return [guarded.desired(entry, extra.get("secrets", {})) for entry in files]


def change(tmp_path, wanted, commands=(), validate=(), check=None, check_always=False):
    """What `state: present` does: stage what differs, then apply it."""
    differing = [entry for entry in wanted if guarded.differs(entry)]
    changed, snapshot = guarded.stage(differing, list(validate), str(tmp_path / "snapshots"))
    result = guarded.apply(snapshot, list(commands), check, check_always, sleep=lambda _: None)
    guarded.drop(snapshot)
    return changed, result


def log_command(tmp_path, name):
    return {"name": name, "argv": ["sh", "-c", f"echo {name} >> {tmp_path}/ran"]}


def ran(tmp_path):
    path = tmp_path / "ran"
    return path.read_text().split() if path.exists() else []


@pytest.fixture
def host(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "releases" / "1").mkdir(parents=True)
    (tmp_path / "releases" / "2").mkdir()
    (tmp_path / "etc" / "app.conf").write_text("workers 1\n")
    (tmp_path / "current").symlink_to("releases/1")
    return tmp_path


def test_a_change_writes_what_differs_and_runs_what_it_notifies_in_order(host):
    commands = [
        log_command(host, "restart"),
        {**log_command(host, "reload"), "skip_if": ["restart"]},
    ]
    changed, result = change(host, entries(host), commands)

    assert (host / "etc" / "app.conf").read_text() == "workers 2\n"
    assert os.readlink(host / "current") == "releases/2"
    assert oct((host / "state").stat().st_mode & 0o777) == "0o750"
    assert len(changed) == 3
    # The reload is not needed once the restart ran.
    assert ran(host) == ["restart"] and result["ran"] == ["restart"]


def test_nothing_to_change_writes_nothing_runs_nothing_and_keeps_no_snapshot(host):
    change(host, entries(host))
    changed, result = change(
        host, entries(host), [log_command(host, "reload")], check={"argv": ["false"]}
    )

    assert changed == [] and result == {"ran": [], "check": None}
    assert ran(host) == []
    assert os.listdir(host / "snapshots") == []


def test_a_check_marked_always_runs_also_when_nothing_changed(host):
    change(host, entries(host))
    with pytest.raises(guarded.Undone) as undone:
        change(
            host,
            entries(host),
            check={"argv": ["sh", "-c", "echo down >&2; false"]},
            check_always=True,
        )
    assert undone.value.failure.step == "check" and "down" in undone.value.failure.output


def test_a_rejected_change_is_put_back_before_anything_applies_it(host):
    with pytest.raises(guarded.Undone) as undone:
        change(
            host,
            entries(host),
            [log_command(host, "reload")],
            validate=[["sh", "-c", "echo bad line 3 >&2; false"]],
        )

    assert undone.value.failure.step == "validate"
    assert "bad line 3" in undone.value.failure.output
    assert (host / "etc" / "app.conf").read_text() == "workers 1\n"
    assert os.readlink(host / "current") == "releases/1"
    assert not (host / "state").exists()
    assert ran(host) == []


def test_a_failed_check_puts_everything_back_and_applies_the_old_files_again(host):
    commands = [log_command(host, "restart")]
    # Passes only for the old release: the new one is "unhealthy".
    check = {"argv": ["sh", "-c", f"test $(readlink {host}/current) = releases/1"]}
    with pytest.raises(guarded.Undone) as undone:
        change(host, entries(host), commands, check=check)

    assert undone.value.failure.step == "check"
    assert os.readlink(host / "current") == "releases/1"
    assert (host / "etc" / "app.conf").read_text() == "workers 1\n"
    # Restarted on the new files, then again on the old ones, which pass.
    assert ran(host) == ["restart", "restart"]
    assert undone.value.recovered is True
    assert sorted(undone.value.restored) == sorted(
        str(host / p) for p in ["etc/app.conf", "current", "state"]
    )


def test_a_failed_command_is_undone_and_named(host):
    commands = [{"name": "restart", "argv": ["sh", "-c", "echo no such unit >&2; exit 5"]}]
    with pytest.raises(guarded.Undone) as undone:
        change(host, entries(host), commands)
    assert undone.value.failure.step == "restart" and "no such unit" in undone.value.failure.output
    assert os.readlink(host / "current") == "releases/1"


def test_a_staged_change_serves_only_once_applied_and_can_be_undone_then(host):
    differing = [entry for entry in entries(host) if guarded.differs(entry)]
    _, snapshot = guarded.stage(differing, [], str(host / "snapshots"))
    assert ran(host) == [] and (host / "etc" / "app.conf").read_text() == "workers 2\n"

    with pytest.raises(guarded.Undone):
        guarded.apply(snapshot, [log_command(host, "restart")], {"argv": ["false"]}, False)
    assert os.readlink(host / "current") == "releases/1"
    assert (host / "etc" / "app.conf").read_text() == "workers 1\n"


def test_a_secret_file_takes_its_content_from_the_secrets(host):
    path = str(host / "etc" / "environment")
    entry = guarded.desired({"path": path, "secret": True, "mode": "0640"}, {path: "KEY=s3cret\n"})
    assert entry["content"] == b"KEY=s3cret\n" and entry["secret"]


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"path": "relative/app.conf", "content": ""}, "absolute path"),
        ({"path": "/etc/app.conf"}, "needs content"),
        ({"path": "/etc/app.conf", "state": "fifo"}, "state must be"),
        ({"path": "/srv/current", "state": "link"}, "needs src"),
        ({"path": "/etc/app.conf", "content": "", "purge": True}, "only a directory"),
    ],
)
def test_a_malformed_entry_is_named(entry, message):
    with pytest.raises(ValueError, match=message):
        guarded.desired(entry, {})


@pytest.fixture
def enabled(tmp_path):
    """A directory of links as Debian's nginx package leaves it, plus one of ours."""
    (tmp_path / "available").mkdir()
    (tmp_path / "enabled").mkdir()
    (tmp_path / "enabled" / "default").symlink_to("/etc/nginx/sites-available/default")
    (tmp_path / "enabled" / "notes.conf").symlink_to("../available/notes.conf")
    (tmp_path / "enabled" / "kept").mkdir()
    return tmp_path


def _purging(tmp_path, *names):
    """sites-enabled purged down to the links NAMES and the file kept/own.conf."""
    files = [
        {
            "path": str(tmp_path / "enabled"),
            "state": "directory",
            "purge": True,
            "notify": ["reload"],
        },
        *(
            {"path": str(tmp_path / "enabled" / name), "src": f"../available/{name}"}
            for name in names
        ),
        {"path": str(tmp_path / "enabled" / "kept" / "own.conf"), "content": "x\n"},
    ]
    return guarded.purged([guarded.desired(entry, {}) for entry in files])


def test_a_purged_directory_loses_what_no_entry_names_and_notifies_for_it(enabled):
    wanted = _purging(enabled, "notes.conf", "legal.conf")
    # The unlisted link goes; a directory holding a listed entry stays.
    assert [(e["path"], e["state"]) for e in wanted if e["state"] == "absent"] == [
        (str(enabled / "enabled" / "default"), "absent")
    ]
    changed, result = change(enabled, wanted, [log_command(enabled, "reload")])

    assert sorted(os.listdir(enabled / "enabled")) == ["kept", "legal.conf", "notes.conf"]
    assert str(enabled / "enabled" / "default") in [e["path"] for e in changed]
    assert result["ran"] == ["reload"]
    # Nothing left to remove: the next run changes nothing.
    assert [e for e in _purging(enabled, "notes.conf", "legal.conf") if guarded.differs(e)] == []


def test_what_a_purge_removed_comes_back_when_the_change_is_rejected(enabled):
    with pytest.raises(guarded.Undone):
        change(enabled, _purging(enabled, "notes.conf"), validate=[["false"]])
    assert os.readlink(enabled / "enabled" / "default") == "/etc/nginx/sites-available/default"
    assert not (enabled / "enabled" / "kept" / "own.conf").exists()


def test_a_purge_of_a_directory_not_there_yet_removes_nothing(tmp_path):
    entry = guarded.desired(
        {"path": str(tmp_path / "new"), "state": "directory", "purge": True}, {}
    )
    assert guarded.purged([entry]) == [entry]


def test_the_diff_of_a_removed_link_shows_its_target(enabled):
    removed = [e for e in _purging(enabled, "notes.conf") if e["state"] == "absent"]
    assert guarded._diff(removed[0])["before"] == "/etc/nginx/sites-available/default\n"
    assert guarded._diff(removed[0])["after"] == ""


def test_the_diff_of_a_mode_that_differs_says_so(host):
    (host / "state").mkdir(mode=0o700)
    os.chmod(host / "state", 0o700)
    directory = next(e for e in entries(host) if e["state"] == "directory")
    assert (
        guarded._diff(directory)["prepared"] == f"{host}/state: root:root 0700 -> root:root 0750\n"
    )


def _undone(step, output, restored=("/etc/app.conf",)):
    return guarded.Undone(guarded.Failure(step, output), list(restored), None, [])


def test_a_failure_is_told_in_the_callers_words_for_its_step():
    messages = {"validate": "nginx rejected it: {output} Restored: {restored} ({step})."}
    told = guarded.failure_message(_undone("validate", 'unknown "{restored}"'), messages)
    # What the step said is quoted as it was, even where it looks like a field.
    assert told == 'nginx rejected it: unknown "{restored}" Restored: /etc/app.conf (validate).'
    # Another step keeps the module's words.
    assert guarded.failure_message(_undone("reload", "no unit", []), messages) == (
        "The change failed at reload: no unit Put back: nothing had changed."
    )


class _Health(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []

    def do_GET(self):
        status = self.answers.pop(0) if self.answers else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"starting")

    def log_message(self, *args):
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    def get_request(self):
        request, _ = super().get_request()
        return request, ("local", 0)


@pytest.fixture
def app_socket(tmp_path):
    path = str(tmp_path / "app.sock")
    server = _UnixServer(path, _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path
    server.shutdown()
    server.server_close()


def test_the_health_check_asks_through_the_unix_socket_until_it_answers(app_socket):
    _Health.answers = [503, 503]
    result = guarded.check(
        {"url": "http://localhost/healthz", "unix_socket": app_socket, "retries": 3},
        sleep=lambda _: None,
    )
    assert result == {"status": 200, "output": "ok"}


def test_the_health_check_gives_up_after_its_retries_saying_what_it_got(app_socket):
    _Health.answers = [503] * 5
    with pytest.raises(guarded.Failure, match="answered 503"):
        guarded.check(
            {"url": "http://localhost/healthz", "unix_socket": app_socket, "retries": 2},
            sleep=lambda _: None,
        )


def test_a_command_marked_always_runs_without_counting_as_a_change(host):
    change(host, entries(host))
    always = {**log_command(host, "start"), "always": True}
    changed, result = change(host, entries(host), [always])
    assert changed == [] and result["ran"] == [] and ran(host) == ["start"]


def test_a_number_in_a_command_is_taken_as_its_text(host):
    _, result = change(host, entries(host), [{"name": "reload", "argv": ["test", 5, "-eq", 5]}])
    assert result["ran"] == ["reload"]


def test_whatever_goes_wrong_while_applying_the_change_is_undone(host):
    broken_check = {"url": None, "retries": "not a number"}
    with pytest.raises(guarded.Undone) as undone:
        change(host, entries(host), [log_command(host, "restart")], check=broken_check)
    assert undone.value.failure.step == "apply"
    assert os.readlink(host / "current") == "releases/1"
    assert os.listdir(host / "snapshots") == []
