"""Migrations of the shared database: a backup before each one, a release that migrates
and the release before it still serving on the migrated schema, a migration that fails,
and a wrong password caught by the health gate. These run the playbooks against every
instance at once, as an operator would, so they take no `host` fixture."""

import uuid

import pytest
from app_socket import app_request
from app_variants import APP_VERSION, PROJECT, app_variant
from database import note_count, schema, sql
from playbook_run import deploy, run_playbook


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    directory = tmp_path_factory.mktemp("variants")
    return {
        "a": PROJECT / "app",
        "migrates": app_variant(directory, "2.1.0", migration="adds-column"),
        "fails": app_variant(directory, "2.2.0", migration="fails"),
    }


def _release(name: str) -> str:
    """The release an app host runs, healthy or not."""
    return app_request(name, "/healthz").json()["release"]


def _serving(name: str) -> str:
    health = app_request(name, "/healthz")
    assert health.status == 200, health.text
    return health.json()["release"]


@pytest.fixture
def release_a(db, apps, sources):
    """Every app serves release A on a database at A's schema: {app host: release}."""
    if not all(_release(name).startswith(APP_VERSION + "-") for name in apps):
        # A serves on a schema a newer release migrated, so it goes first.
        run = deploy(sources["a"])
        assert run.rc == 0, run.output[-3000:]
    if schema(db)[0] != "0002":
        # An earlier test migrated to 0003: undo it, as its downgrade would.
        sql(db, "ALTER TABLE notes DROP COLUMN IF EXISTS pinned")
        sql(db, "UPDATE alembic_version SET version_num = '0002'")
    return {name: _serving(name) for name in apps}


def test_a_release_migrates_after_a_backup_and_the_one_before_still_serves(
    db, apps, release_a, sources
):
    rows = note_count(db)
    run = deploy(sources["migrates"])
    assert run.rc == 0, run.output[-3000:]
    revision, columns = schema(db)
    assert (revision, "pinned" in columns) == ("0003", True)
    assert all(_serving(name).startswith("2.1.0-") for name in apps)

    # The dump taken just before the migration restores with every row it had then.
    dump = db.check_output("ls -1t /var/backups/postgresql/notes-*-before-2.1.0-*.dump | head -n 1")
    scratch = f"scratch_{uuid.uuid4().hex[:8]}"
    try:
        db.run_expect([0], f"flaskstack-pg-restore {dump} {scratch}")
        assert note_count(db, scratch) == rows
        assert schema(db, scratch)[0] == "0002"
    finally:
        db.run(f"runuser -u postgres -- dropdb --if-exists {scratch}")

    # Release A knows nothing of 0003, and works on the migrated schema all the same.
    run = run_playbook("playbooks/rollback.yml")
    assert run.rc == 0, run.output[-3000:]
    for name, release in release_a.items():
        assert _serving(name) == release
        note = {"title": "after the rollback"}
        created = app_request(name, "/api/notes", method="POST", payload=note)
        assert created.status == 201, created.text
    assert schema(db)[0] == "0003"


def test_a_failing_migration_leaves_the_schema_and_the_old_release(db, apps, release_a, sources):
    before = schema(db), note_count(db)
    run = deploy(sources["fails"], flaskapp_health_retries=5)
    assert run.rc != 0
    assert "Release 2.2.0-" in run.output
    assert "migration 0003 fails on purpose" in run.output
    assert "backed up before the migration: /var/backups/postgresql/notes-" in run.output
    assert (schema(db), note_count(db)) == before
    assert {name: _serving(name) for name in apps} == release_a


def test_a_wrong_database_password_is_caught_by_the_health_gate(apps, release_a):
    run = run_playbook(
        "playbooks/deploy.yml",
        extra_vars={"postgresql_owner_password": "not-the-password", "flaskapp_health_retries": 3},
    )
    assert run.rc != 0
    assert "failed its health check" in run.output
    assert "password authentication failed" in run.output
    assert "The app serves again." in run.output
    assert "not-the-password" not in run.output
    assert {name: _serving(name) for name in apps} == release_a
