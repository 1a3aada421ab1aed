"""`make demo`, run again, then `make demo-down`: the README's first command, typed in the
checkout as a newcomer types it, on the layout they get (one host carrying web, app and
SQLite, the firewall on, SSH through the port Docker forwards)."""

import pytest
from conftest import ROOT, assert_succeeded, existing_demo_containers, get, state, typed


@pytest.fixture(scope="module")
def demo(no_demo_running, log_dir):
    run = typed("make demo", log_dir)
    yield run
    typed("make demo-down", log_dir)


def test_make_demo_serves_the_page_and_prints_its_url(demo):
    assert_succeeded(demo, "make demo")
    url = state("state.json")["urls"][0]
    assert url.startswith("https://localhost:")
    assert url in demo.output


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/", "text/html"), ("/static/style.css", "text/css"), ("/healthz", "application/json")],
)
def test_the_demo_answers_over_https(demo, path, content_type):
    status, headers, _ = get(state("state.json")["urls"][0].rstrip("/") + path)
    assert status == 200
    assert headers["content-type"].startswith(content_type)


def test_make_demo_again_changes_nothing(demo, log_dir):
    run = typed("make demo", log_dir)
    assert_succeeded(run, "make demo")
    recap = run.recap()
    assert recap, run.output[-3000:]
    assert {host: counts["changed"] for host, counts in recap.items()} == dict.fromkeys(recap, 0)


def test_make_demo_down_removes_everything_it_made(demo, log_dir):
    run = typed("make demo-down", log_dir)
    assert_succeeded(run, "make demo-down")
    assert existing_demo_containers() == []
    assert not (ROOT / ".demo").exists()
