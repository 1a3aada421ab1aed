"""PostgreSQL holds the notes, the same for every app host, and only the app hosts reach
it, over TLS. The app hosts have no nginx: each is asked through its own socket. A
restart of PostgreSQL under load fails no request, nor a write whose COMMIT the server
cut off."""

import contextlib
import functools
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from app_socket import app_request
from database import note_count, notes_stored_once, sql
from load import MixedLoad
from playbook_run import instance, vaulted
from polling import within
from stack_http import post_json, request, send_json


@pytest.fixture
def cluster(db) -> str:
    """The systemd unit of the db host's PostgreSQL cluster (postgresql@15-main)."""
    return db.check_output("systemctl list-units --plain --no-legend 'postgresql@*'").split()[0]


def test_postgresql_listens_on_the_private_address_and_localhost_only(db, db_address):
    sockets = [line.split()[3] for line in db.check_output("ss -Hltn").splitlines()]
    listening = {address.rsplit(":", 1)[0] for address in sockets if address.endswith(":5432")}
    assert {"127.0.0.1", db_address} <= listening <= {"127.0.0.1", "[::1]", db_address}


def test_notes_written_through_nginx_are_in_postgresql_for_every_app(web, apps, db):
    title = f"shared {uuid.uuid4()}"
    created = post_json(web, "/api/notes", {"title": title})
    assert created.status == 201, created.text
    note_id = created.json()["id"]
    assert sql(db, f"SELECT title FROM notes WHERE id = {note_id}") == [title]
    for name in apps:
        assert app_request(name, f"/api/notes/{note_id}").json()["title"] == title


@pytest.mark.parametrize(
    "path", ["/api/notes?limit=2", "/api/notes?before=2147483647", "/api/notes/2147483647"]
)
def test_paging_and_ids_at_the_integer_limit_work_on_postgresql(web, path):
    # PostgreSQL's integer column ends at 2**31 - 1, where SQLite's does not.
    reply = request(web, path)
    assert reply.status in {200, 404}, reply.text
    assert reply.json()


def test_the_apps_connect_over_tls_as_the_owner(apps, db):
    for name in apps:
        assert app_request(name, "/api/notes").status == 200
    connections = sql(
        db,
        "SELECT DISTINCT usename || ' ' || ssl FROM pg_stat_activity"
        " JOIN pg_stat_ssl USING (pid) WHERE datname = 'notes' AND client_addr IS NOT NULL",
    )
    assert connections == ["notes true"]


def test_a_connection_without_tls_from_an_app_host_is_refused(apps, db_address):
    # With the app's own driver, from the app's own release.
    attempt = instance(apps[0]).run(
        "/srv/flaskapp/current/venv/bin/python -c %s %s",
        "import psycopg, sys; psycopg.connect(host=sys.argv[1], dbname='notes', user='notes',"
        " sslmode='disable', connect_timeout=5)",
        db_address,
    )
    assert attempt.rc != 0
    assert "no encryption" in attempt.stderr


def test_a_host_outside_the_app_group_is_refused_by_postgresql_itself(db, db_address):
    # Behind the firewall (test_topology.py), PostgreSQL refuses too. The one host outside
    # the app group that the firewall lets through is the db host itself, over its private
    # address; it has the right password.
    attempt = db.run(
        "env PGPASSWORD=%s psql -X -c 'SELECT 1' %s",
        vaulted("vault_postgresql_owner_password"),
        f"host={db_address} dbname=notes user=notes sslmode=require connect_timeout=5",
    )
    assert attempt.rc != 0
    assert "no pg_hba.conf entry" in attempt.stderr, attempt.stderr


def test_daily_dump_restores_into_a_scratch_database_with_every_row(db):
    assert db.service("flaskstack-pg-backup.timer").is_enabled
    assert db.service("flaskstack-pg-backup.timer").is_running
    db.run_expect([0], "systemctl start flaskstack-pg-backup.service")
    dump = db.check_output("ls -1t /var/backups/postgresql/notes-*-daily.dump | head -n 1")
    scratch = f"scratch_{uuid.uuid4().hex[:8]}"
    try:
        db.run_expect([0], f"flaskstack-pg-restore {dump} {scratch}")
        assert note_count(db, scratch) == note_count(db)
    finally:
        db.run(f"runuser -u postgres -- dropdb --if-exists {scratch}")


def test_healthz_fails_while_the_database_is_down(apps, db, cluster):
    app_host = apps[0]
    db.run_expect([0], f"systemctl stop {cluster}")
    try:
        down = app_request(app_host, "/healthz")
    finally:
        db.run_expect([0], f"systemctl start {cluster}")
    assert down.status == 503
    assert "database unusable" in down.json()["detail"]
    assert app_request(app_host, "/healthz").status == 200


def test_a_postgresql_restart_under_load_fails_no_request(web, db, cluster):
    # As a minor upgrade from Debian restarts it: the app's requests wait for it (the
    # reference app's DATABASE_WAIT_SECONDS) and run again; none is answered 5xx.
    with MixedLoad(web, workers=4) as load:
        time.sleep(2)
        restart_started = time.monotonic()
        db.run_expect([0], f"systemctl restart {cluster}")
        restart_took = time.monotonic() - restart_started
        time.sleep(3)
    slowest = max(o.end - o.start for o in load.overlapping(restart_started, time.monotonic()))
    took = f"the restart took {restart_took:.1f} s, the slowest request {slowest:.1f} s"
    assert load.failures == [], took
    assert load.total > 50
    notes_stored_once(db, load)


@contextlib.contextmanager
def commits_held(db):
    """Within, every COMMIT on the db host waits (for a synchronous standby that does not
    exist), as one does that the server is about to cut off; after it, none waits."""
    sql(db, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
    sql(db, "SELECT pg_reload_conf()")
    try:
        yield
    finally:
        sql(db, "ALTER SYSTEM RESET synchronous_standby_names")
        sql(db, "SELECT pg_reload_conf()")


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_write_whose_commit_the_server_cut_off_is_answered_as_it_ended(web, db, method):
    # The moment a restart can pick: the COMMIT sent, its connection gone before the answer.
    # The transaction committed (PostgreSQL warns so as it cuts it off), so the app must
    # answer as for any write that succeeded: neither a 503 nor a second run storing it twice.
    title = f"cut off {uuid.uuid4().hex}"
    if method == "PATCH":
        note_id = post_json(web, "/api/notes", {"title": title}).json()["id"]
        path, payload = f"/api/notes/{note_id}", {"body": "edited"}
        write = functools.partial(send_json, web, path, payload, method="PATCH")
    else:
        write = functools.partial(post_json, web, "/api/notes", {"title": title})
    held = "SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep'"
    with ThreadPoolExecutor(1) as pool, commits_held(db):
        sent = pool.submit(write)
        assert within(20, lambda: sql(db, held)), "no COMMIT waited"
        sql(db, f"SELECT pg_terminate_backend(pid) FROM ({held}) AS cut")
        reply = sent.result(timeout=30)
    assert reply.status == {"POST": 201, "PATCH": 200}[method], reply.text
    stored = sql(db, f"SELECT id || '|' || body FROM notes WHERE title = '{title}'")
    assert stored == [f"{reply.json()['id']}|{'edited' if method == 'PATCH' else ''}"]
