"""ProxyFix trusts exactly one proxy hop (nginx) for client address, scheme and host."""

import pytest
from flask import jsonify, request

HEADERS = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "notes.example.org",
}


@pytest.fixture
def echo_client(app):
    @app.get("/_echo")
    def echo():
        return jsonify(remote_addr=request.remote_addr, scheme=request.scheme, host=request.host)

    return app.test_client()


def test_forwarded_headers_are_honoured(echo_client):
    body = echo_client.get("/_echo", headers=HEADERS).get_json()
    assert body == {"remote_addr": "203.0.113.7", "scheme": "https", "host": "notes.example.org"}


def test_only_the_last_hop_is_trusted(echo_client):
    # A client can send its own X-Forwarded-For; nginx appends the real address after it.
    headers = {**HEADERS, "X-Forwarded-For": "10.6.6.6, 203.0.113.7"}
    assert echo_client.get("/_echo", headers=headers).get_json()["remote_addr"] == "203.0.113.7"


def test_without_headers_the_socket_peer_is_used(echo_client):
    body = echo_client.get("/_echo").get_json()
    assert body == {"remote_addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_location_uses_forwarded_scheme_and_host(client):
    response = client.post("/api/notes", json={"title": "t"}, headers=HEADERS)
    note_id = response.get_json()["id"]
    assert response.headers["Location"] == f"https://notes.example.org/api/notes/{note_id}"
