"""The HTML page: renders, loads its assets from /static/ and has nothing inline (CSP)."""

from html.parser import HTMLParser


class _Collector(HTMLParser):
    """Records what a Content-Security-Policy of default-src 'self' would block."""

    def __init__(self):
        super().__init__()
        self.assets = []
        self.inline = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{tag} {name}=")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = True
            if "src" not in attrs:
                self.inline.append("<script> without src")
        for name in ("src", "href"):
            if name in attrs and tag in ("script", "link", "img"):
                self.assets.append(attrs[name])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append("script body")


def parse(client):
    response = client.get("/")
    assert response.status_code == 200
    collector = _Collector()
    collector.feed(response.get_data(as_text=True))
    return response, collector


def test_page_renders(client, app):
    response, _ = parse(client)
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert "<title>Notes</title>" in html
    assert app.config["RELEASE"] in html


def test_page_uses_static_assets(client):
    _, collector = parse(client)
    paths = {asset.split("?")[0] for asset in collector.assets}
    assert paths == {"/static/style.css", "/static/app.js", "/static/logo.svg"}
    for asset in collector.assets:
        with client.get(asset) as response:
            assert response.status_code == 200


def test_page_has_nothing_inline(client):
    _, collector = parse(client)
    assert collector.inline == []


def test_page_errors_are_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
