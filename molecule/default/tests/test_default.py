"""The whole stack on one host: what is installed, what runs, and what a user sees."""

import json
import os
import uuid

import pytest
from stack_http import post_json, request


@pytest.mark.parametrize("package", ["nginx", "logrotate"])
def test_package_installed(host, package):
    assert host.package(package).is_installed


def test_release_installed_by_the_shipped_pip_without_python3_venv(host, app_name):
    # pip ran from the wheelhouse's own wheel into a virtualenv made without pip.
    assert not host.package("python3-venv").is_installed
    venv = f"/srv/{app_name}/current/venv"
    assert host.run(f"{venv}/bin/python -c 'import gunicorn, notesapp'").rc == 0
    assert host.run(f"{venv}/bin/python -c 'import pip'").rc != 0


def test_debian_default_site_removed(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists


def test_app_user_cannot_log_in(host, app_name):
    user = host.user(app_name)
    assert user.group == app_name
    assert user.shell == "/usr/sbin/nologin"
    assert user.uid < 1000


def test_code_belongs_to_root(host, app_name):
    current = host.file(f"/srv/{app_name}/current")
    assert current.is_symlink
    release = host.file(current.linked_to)
    assert release.user == "root"
    assert host.file(f"{current.linked_to}/venv/bin/gunicorn").user == "root"


def test_state_directory_private_to_the_app(host, app_name):
    state = host.file(f"/var/lib/{app_name}")
    assert state.is_directory
    assert state.user == app_name
    assert state.mode == 0o750


def test_environment_file_not_world_readable(host, app_name):
    env = host.file(f"/etc/{app_name}/environment")
    assert env.user == "root"
    assert env.group == app_name
    assert env.mode == 0o640


@pytest.mark.parametrize("unit", ["nginx.service", "{app}.socket", "{app}.service"])
def test_unit_running_and_enabled(host, unit, app_name):
    service = host.service(unit.format(app=app_name))
    assert service.is_running
    assert service.is_enabled


def test_app_socket_only_for_nginx(host, app_name):
    sock = host.file(f"/run/{app_name}.sock")
    assert sock.is_socket
    assert sock.user == "root"
    assert sock.group == "www-data"
    assert sock.mode == 0o660


def test_service_is_notify_type_and_restarts(host, app_name):
    props = host.service(f"{app_name}.service").systemd_properties
    assert props["Type"] == "notify"
    assert props["Restart"] == "on-failure"
    assert props["User"] == app_name


# GET /healthz straight through the app's unix socket, bypassing nginx.
SOCKET_GET = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n")
print(s.makefile("rb").read().split(b"\\r\\n\\r\\n", 1)[1].decode())
"""


def test_gunicorn_serves_the_active_release(host, app_name):
    release = os.path.basename(host.file(f"/srv/{app_name}/current").linked_to)
    reply = host.check_output("python3 -c %s /run/%s.sock", SOCKET_GET, app_name)
    assert json.loads(reply) == {"status": "ok", "release": release}


def test_page_served_through_nginx(container):
    page = request(container, "/")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/static/" in page.text


def test_static_file_served_by_nginx(container):
    css = request(container, "/static/style.css")
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    # The app never sets Cache-Control on static files; nginx's static location does.
    assert css.headers["cache-control"].startswith("public, max-age=")


def test_healthz_through_nginx(container):
    health = request(container, "/healthz")
    assert health.status == 200
    assert health.json()["status"] == "ok"


def test_note_created_then_read_back(container):
    title = f"note {uuid.uuid4()}"
    created = post_json(container, "/api/notes", {"title": title, "body": "through nginx"})
    assert created.status == 201
    note_id = created.json()["id"]
    fetched = request(container, f"/api/notes/{note_id}")
    assert fetched.status == 200
    assert fetched.json()["title"] == title
    listed = request(container, "/api/notes")
    assert title in [note["title"] for note in listed.json()["notes"]]


def test_invalid_note_rejected_naming_the_field(container):
    reply = post_json(container, "/api/notes", {"body": "no title"})
    assert reply.status == 400
    assert reply.json()["field"] == "title"


def test_http_redirects_to_https(container):
    reply = request(container, "/some/page?x=1", scheme="http")
    assert reply.status == 301
    assert reply.headers["location"] == "https://notes.test/some/page?x=1"


def test_secret_reaches_the_app_but_no_other_user(host, app_name):
    pid = host.check_output(f"systemctl show -p MainPID --value {app_name}.service")
    environ = host.file(f"/proc/{pid}/environ").content_string
    assert "FLASK_SECRET_KEY=molecule-secret-value-7f3a" in environ
    found = host.run("grep -rl molecule-secret-value-7f3a /etc /srv /var/lib /run -s")
    for path in found.stdout.split():
        mode = host.file(path).mode
        assert mode & 0o004 == 0, f"{path} holds the secret and is world-readable"
