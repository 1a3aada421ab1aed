"""A change of PostgreSQL's configuration that PostgreSQL rejects, or that it cannot run
on, is put back: the play fails saying what was wrong and that the previous files were
restored, and the server (and the app on it) goes on as before. These run the provision
playbook again, as an operator would."""

import pytest
from app_socket import app_request
from playbook_run import run_playbook

CONFIGURE = ("--tags", "postgresql_configure")
SSH_PORT = 22


@pytest.fixture
def conf_dir(db):
    return db.check_output("ls -d /etc/postgresql/*/main")


def _configuration(db, conf_dir: str) -> dict[str, str]:
    """The files a change writes, and the certificate the server is given."""
    return {
        "settings": db.file(f"{conf_dir}/conf.d/flaskstack.conf").content_string,
        "clients": db.file(f"{conf_dir}/pg_hba.conf").content_string,
        "certificate": db.check_output(f"readlink {conf_dir}/tls/server.crt"),
    }


def _loaded_at(db) -> str:
    return db.check_output(
        "runuser -u postgres -- psql -X -p 5432 -tA -c 'SELECT pg_conf_load_time()'"
    )


def test_a_value_postgresql_rejects_is_put_back_before_anything_applies_it(db, conf_dir):
    before, loaded = _configuration(db, conf_dir), _loaded_at(db)
    run = run_playbook("playbooks/provision.yml", *CONFIGURE, extra_vars={"postgresql_port": 99999})

    assert run.rc != 0
    assert 'Configuring PostgreSQL failed at "Ask PostgreSQL whether it accepts' in run.output
    assert '99999 is outside the valid range for parameter "port"' in run.output
    assert "conf.d/flaskstack.conf" in run.output
    assert "The previous files were restored (" in run.output
    assert "and PostgreSQL runs on them." in run.output
    # Never applied: the same files, not even reloaded.
    assert _configuration(db, conf_dir) == before
    assert _loaded_at(db) == loaded


def test_a_change_postgresql_cannot_run_on_is_undone_with_its_certificate(db, apps, conf_dir):
    before = _configuration(db, conf_dir)
    # A new address (on the host's own loopback, so the certificate is issued again for
    # it) and a port PostgreSQL cannot bind because sshd holds it on every address:
    # PostgreSQL accepts the files, but cannot start on them. (A port below 1024 is no
    # such port: Docker lets any user of a container bind one.)
    holders = db.check_output("ss -Hltnp 'sport = :%s'", str(SSH_PORT))
    assert f"0.0.0.0:{SSH_PORT} " in holders and '"sshd"' in holders, holders
    run = run_playbook(
        "playbooks/provision.yml",
        *CONFIGURE,
        extra_vars={"flaskstack_private_address": "127.0.0.2", "postgresql_port": SSH_PORT},
    )

    assert run.rc != 0
    assert 'Configuring PostgreSQL failed at "Reload PostgreSQL' in run.output
    assert "The previous files were restored (" in run.output
    assert "tls/server.crt" in run.output
    assert "and PostgreSQL runs on them." in run.output
    assert _configuration(db, conf_dir) == before
    # The apps connect again, verifying the certificate they were given.
    for name in apps:
        assert app_request(name, "/healthz").status == 200
