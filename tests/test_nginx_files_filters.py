"""Where the nginx role puts each site's files (roles/nginx/filter_plugins/nginx_files.py):
the entries its one guarded_change writes, and the certificates made on the host."""

from library import role_module

files = role_module("nginx", "nginx_files", kind="filter_plugins")


def site(name, mode="selfsigned", names=("notes.test",)):
    return {"name": name, "server_names": list(names), "tls": {"mode": mode}}


def test_a_site_is_its_file_in_sites_available_enabled_by_a_link():
    found = files.nginx_site_files([site("notes")], {"notes": {"site": "S"}})
    assert found == {
        "files": [
            {"path": "/etc/nginx/sites-available/notes.conf", "content": "S", "notify": ["reload"]},
            {
                "path": "/etc/nginx/sites-enabled/notes.conf",
                "src": "/etc/nginx/sites-available/notes.conf",
                "notify": ["reload"],
            },
        ],
        "secrets": {},
    }


def test_the_operators_key_is_a_secret_and_never_in_an_entry():
    texts = {"own": {"certificate": "CERT", "key": "KEY"}}
    found = files.nginx_site_files([site("own", "files")], texts)
    assert found["secrets"] == {"/etc/nginx/tls/own.key": "KEY"}
    key = next(e for e in found["files"] if e["path"] == "/etc/nginx/tls/own.key")
    assert key == {
        "path": "/etc/nginx/tls/own.key",
        "secret": True,
        "mode": "0600",
        "notify": ["reload"],
    }
    assert "KEY" not in str(found["files"])
    certificate = {"path": "/etc/nginx/tls/own.crt", "content": "CERT", "notify": ["reload"]}
    assert certificate in found["files"]


def test_only_the_parts_given_have_entries():
    sites = [site("notes"), site("alone")]
    found = files.nginx_site_files(sites, {"notes": {"site": "S"}})
    assert [e["path"] for e in found["files"]] == [
        "/etc/nginx/sites-available/notes.conf",
        "/etc/nginx/sites-enabled/notes.conf",
    ]


def test_self_signed_and_acme_sites_get_a_certificate_made_on_the_host():
    sites = [
        site("notes", names=("notes.test", "www.notes.test")),
        site("own", "files"),
        site("plain", "none"),
        site("legacy", "acme", names=("legacy.test",)),
    ]
    assert files.nginx_selfsigned_certificates(sites) == [
        {
            "key": "/etc/nginx/tls/notes.key",
            "certificate": "/etc/nginx/tls/notes.crt",
            "names": ["notes.test", "www.notes.test"],
        },
        # Temporary: certbot's replaces it, and is never replaced by another.
        {
            "key": "/etc/nginx/tls/legacy.key",
            "certificate": "/etc/nginx/tls/legacy.crt",
            "names": ["legacy.test"],
            "days": 30,
            "keep_existing": True,
        },
    ]
