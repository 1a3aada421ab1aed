"""The app host's releases, read in one command (roles/flaskapp/filter_plugins/releases.py)."""

from library import role_module

releases = role_module("flaskapp", "releases", "filter_plugins")

LISTING = """\
link current releases/2.0.0-bbbb
link previous releases/1.0.0-aaaa
release 1.0.0-aaaa 100.5
release 2.0.0-bbbb 200.0
release 0.9.0-zzzz 50.0
release 1.5.0-cccc 150.0
installed /srv/app/releases/2.0.0-bbbb .installed-3.11-x86_64
installed /srv/app/releases/1.0.0-aaaa .installed-3.11-x86_64
installed /srv/app/releases/1.0.0-aaaa .installed-3.13-x86_64
"""


def test_the_links_releases_and_their_installs_are_read():
    state = releases.flaskapp_releases(LISTING)
    assert state["links"] == ["2.0.0-bbbb", "1.0.0-aaaa"]
    assert {r["id"] for r in state["releases"]} == {
        "1.0.0-aaaa",
        "2.0.0-bbbb",
        "0.9.0-zzzz",
        "1.5.0-cccc",
    }
    assert state["installed"] == {
        "2.0.0-bbbb": ["3.11-x86_64"],
        "1.0.0-aaaa": ["3.11-x86_64", "3.13-x86_64"],
    }


def test_a_new_host_has_nothing():
    assert releases.flaskapp_releases("") == {"links": ["", ""], "releases": [], "installed": {}}


def test_a_cleanup_keeps_the_active_the_previous_then_the_newest_others():
    state = releases.flaskapp_releases(LISTING)
    assert releases.flaskapp_releases_beyond(state["releases"], state["links"], 3) == ["0.9.0-zzzz"]
    assert releases.flaskapp_releases_beyond(state["releases"], state["links"], 2) == [
        "1.5.0-cccc",
        "0.9.0-zzzz",
    ]
    # Never the active or previous one, however few are kept.
    assert releases.flaskapp_releases_beyond(state["releases"], state["links"], 1) == [
        "1.5.0-cccc",
        "0.9.0-zzzz",
    ]


def test_a_first_release_without_previous_is_kept():
    listing = "link current releases/1.0.0-aaaa\nrelease 1.0.0-aaaa 1\nrelease 0.1.0-old 0\n"
    state = releases.flaskapp_releases(listing)
    assert releases.flaskapp_releases_beyond(state["releases"], state["links"], 1) == ["0.1.0-old"]


switch = role_module("flaskapp", "switch", "filter_plugins")
CONTEXT = {
    "release": "2.0.0-new",
    "replaced": "1.0.0-old",
    "current": "/srv/app/current",
    "failed_task": "Migrate the database from the new release",
    "restored": [],
    "backup": "",
    "log": [],
    "healthy": True,
    "name": "app",
}


def test_an_unhealthy_release_says_it_was_switched_back_and_what_the_app_logged():
    failed = {
        "failed_step": "check",
        "output": "answered 500",
        "recovered": True,
        "restored": ["/srv/app/current", "/etc/app/environment"],
    }
    log = ["booting", "ImportError: no module named nope", "Worker failed"]
    message = switch.flaskapp_switch_failure(
        failed, {**CONTEXT, "restored": failed["restored"], "log": log}
    )
    assert message.startswith("Release 2.0.0-new failed its health check (answered 500).")
    assert "The app logged: ImportError: no module named nope." in message
    assert "Switched back to release 1.0.0-old." in message
    assert "Restored /srv/app/current, /etc/app/environment." in message
    assert message.endswith("The app serves again.")


def test_what_the_app_logged_names_each_error_once_without_gunicorns_prefix():
    failed = {"failed_step": "check", "output": "timed out", "recovered": True, "restored": []}
    crash = [
        "Traceback (most recent call last):",
        "RuntimeError: broken on purpose",
        "[2026-12-02 07:30:31 +0000] [1064] [ERROR] Reason: Worker failed to boot.",
    ]
    # Five workers crash, then the master stops; then systemd starts it again, and again.
    log = (crash[:2] * 5 + crash[2:]) * 3 + ["[2026-12-02 07:30:32 +0000] [1084] [INFO] Booting"]
    message = switch.flaskapp_switch_failure(failed, {**CONTEXT, "log": log})
    assert (
        "The app logged: RuntimeError: broken on purpose / Reason: Worker failed to boot.."
        in message
    )


def test_a_failed_migration_says_the_old_release_kept_serving_and_where_the_backup_is():
    traceback = (
        "Traceback ...\n" + "  a line\n" * 400 + "RuntimeError: this release is broken on purpose"
    )
    failed = {"stderr": traceback, "rc": 1}
    # The links were only staged, then put back: the old release never stopped serving.
    staged = ["/srv/app/previous", "/srv/app/current"]
    context = {**CONTEXT, "backup": "/var/backups/app/x.sqlite3", "restored": staged}
    message = switch.flaskapp_switch_failure(failed, context)
    assert 'failed at "Migrate the database from the new release" (...' in message
    # The end of a traceback says what went wrong: it is what the message keeps.
    assert "RuntimeError: this release is broken on purpose)." in message
    assert "Release 1.0.0-old kept serving." in message
    assert "Switched back" not in message
    assert "backed up before the migration: /var/backups/app/x.sqlite3." in message


def test_a_configuration_that_fails_says_so_and_when_the_app_is_still_down():
    failed = {
        "failed_step": "check",
        "output": "timed out",
        "recovered": False,
        "restored": ["/etc/app/gunicorn.conf.py"],
    }
    context = {**CONTEXT, "replaced": "2.0.0-new", "restored": failed["restored"]}
    message = switch.flaskapp_switch_failure(failed, context)
    assert "Release 2.0.0-new with the new configuration failed its health check" in message
    assert "Restored /etc/app/gunicorn.conf.py." in message
    assert "does NOT answer its health check now: see journalctl -u app." in message


def test_a_handover_that_fails_says_the_serving_gunicorn_went_on_and_what_the_app_logged():
    failed = {
        "failed_step": "handover",
        "output": "The new gunicorn stopped before its workers all started",
        "recovered": True,
        "restored": ["/etc/app/gunicorn.conf.py"],
    }
    log = [
        "Failed to find attribute 'no_such_factory' in 'notesapp'.",
        "[2026-12-02 18:31:47 +0000] [31103] [ERROR] Reason: App failed to load.",
    ]
    context = {**CONTEXT, "replaced": "2.0.0-new", "restored": failed["restored"], "log": log}
    message = switch.flaskapp_switch_failure(failed, context)
    assert message.startswith(
        "Release 2.0.0-new with the new configuration did not start, and the gunicorn"
        " serving before went on (The new gunicorn stopped before its workers all started)."
    )
    assert (
        "The app logged: Failed to find attribute 'no_such_factory' in 'notesapp'."
        " / Reason: App failed to load." in message
    )
    assert message.endswith("The app serves again.")
