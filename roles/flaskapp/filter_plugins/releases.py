"""What the releases on an app host are, read in one command (tasks/links.yml), and
which of them a cleanup removes. Pure functions, unit-tested in tests/test_flaskapp_filters.py."""

from __future__ import annotations

import os


def flaskapp_releases(listing: str) -> dict:
    """Parse the lines tasks/links.yml prints:
        link NAME TARGET            for the links current and previous
        release ID MTIME            for each release directory
        installed ID MARKER         for each release's .installed-PYTHON-ARCH marker
    into {links: [current, previous] (release ids, "" where absent),
          releases: [{id, mtime}], installed: {id: [target, ...]}}."""
    links = {"current": "", "previous": ""}
    releases, installed = [], {}
    for line in listing.splitlines():
        kind, _, rest = line.partition(" ")
        name, _, value = rest.partition(" ")
        if kind == "link" and name in links:
            links[name] = os.path.basename(value.rstrip("/"))
        elif kind == "release":
            releases.append({"id": name, "mtime": float(value or 0)})
        elif kind == "installed":
            installed.setdefault(os.path.basename(name), []).append(
                value.removeprefix(".installed-")
            )
    return {
        "links": [links["current"], links["previous"]],
        "releases": releases,
        "installed": installed,
    }


def flaskapp_releases_beyond(releases: list, links: list, keep: int) -> list[str]:
    """The releases a cleanup removes so that KEEP remain: the active and previous ones
    always stay, then the most recently installed others."""
    kept = [link for link in dict.fromkeys(links) if link]
    others = sorted(
        (r for r in releases if r["id"] not in kept), key=lambda r: r["mtime"], reverse=True
    )
    return [r["id"] for r in others[max(int(keep) - len(kept), 0) :]]


class FilterModule:
    def filters(self):
        return {
            "flaskapp_releases": flaskapp_releases,
            "flaskapp_releases_beyond": flaskapp_releases_beyond,
        }
