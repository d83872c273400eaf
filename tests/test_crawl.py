"""Follow every same-site link reachable from ``/`` (bounded) and assert that none answers 5xx,
once as an anonymous visitor and once as the province admin.

The budget is shared out over the kinds of page, the "shapes" (the path with its numbers blanked,
e.g. /stats/N): the next page is always one of the shape visited least so far, so that a hundred
county pages cannot crowd out the rest; within a shape the newest link goes first, so that the
crawl also goes deep (province, city, county, town, village) rather than only wide.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.demo.services import build_demo
from tests.apps import PASSWORD

MAX_PAGES = 400
SITE = "http://localhost"
#: Links that end the session or would only repeat a page many times over.
SKIP_PREFIXES = ("/logout", "/static/")


class _Links(HTMLParser):
    """Links of an HTML page, an Atom feed (<link href>) or a sitemap (<loc>)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self._in_loc = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "link": "href", "area": "href", "iframe": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.links.append(value)
        self._in_loc = tag == "loc"

    def handle_endtag(self, tag: str) -> None:
        self._in_loc = False

    def handle_data(self, data: str) -> None:
        if self._in_loc and data.strip():
            self.links.append(data.strip())


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _same_site(base: str, href: str) -> str | None:
    """The path and query of ``href`` when it points at this site, else None."""
    href = href.strip()
    if href.startswith(("mailto:", "tel:", "javascript:", "data:", "#")):
        return None
    url, _ = urldefrag(urljoin(base, href))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in ("localhost", "127.0.0.1"):
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return None if path.startswith(SKIP_PREFIXES) else path


@dataclass
class Crawl:
    status: dict[str, int] = field(default_factory=dict)  # path -> status, in visiting order
    referrer: dict[str, str] = field(default_factory=dict)  # path -> the page that linked it

    def server_errors(self) -> list[str]:
        return [f"{status} {path} (linked from {self.referrer.get(path) or 'the start'})"
                for path, status in self.status.items() if status >= 500]


def crawl(client: FlaskClient, start: str = "/", limit: int = MAX_PAGES) -> Crawl:
    """GET every same-site link from ``start`` on, visiting at most ``limit`` pages."""
    result = Crawl()
    pending: dict[str, list[tuple[str, str]]] = {_shape(start): [(start, "")]}
    visits: Counter[str] = Counter()
    queued = {start}
    while len(result.status) < limit:
        waiting = [(visits[shape], n, shape) for n, (shape, links) in enumerate(pending.items())
                   if links]
        if not waiting:
            break
        shape = min(waiting)[2]
        visits[shape] += 1
        path, referrer = pending[shape].pop()
        result.referrer[path] = referrer
        response = client.get(path)
        result.status[path] = response.status_code
        if response.status_code >= 500 or not (response.mimetype == "text/html"
                                                or response.mimetype.endswith("xml")):
            response.close()
            continue
        parser = _Links()
        parser.feed(response.get_data(as_text=True))
        response.close()
        for href in parser.links:
            target = _same_site(SITE + path, href)
            if target and target not in queued:
                queued.add(target)
                pending.setdefault(_shape(target), []).append((target, path))
    return result


def _assert_no_server_errors(result: Crawl) -> None:
    failing = result.server_errors()
    assert not failing, (f"{len(failing)} of {len(result.status)} pages answered 5xx; "
                         "first ones:\n" + "\n".join(failing[:20]))


@pytest.fixture
def demo(app: Flask) -> None:
    build_demo(households=20, seed=1, password=PASSWORD)


def test_anonymous_crawl_finds_no_server_error(client: FlaskClient, demo: None) -> None:
    result = crawl(client)
    assert len(result.status) > 20, f"the crawl reached only {sorted(result.status)}"
    _assert_no_server_errors(result)


def test_admin_crawl_finds_no_server_error(client: FlaskClient, demo: None) -> None:
    response = client.post("/login", data={"login": "admin", "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    result = crawl(client)
    assert "/admin/" in result.status, "the admin crawl did not reach the back office"
    _assert_no_server_errors(result)
    # Still logged in at the end: nothing on the way logged the admin out.
    assert client.get("/admin/").status_code == 200



