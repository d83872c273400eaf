"""Every public page is light: its HTML and the stylesheets it links weigh at most
``MAX_BYTES`` uncompressed, on a demo province the size ``sunshine demo`` builds by default.

The rules come from ``app.url_map`` (all GET rules but the back office and static files), with
the fillers of tests/public_routes.py (a new rule fails there and here until it gets one), and
every region's statistics page. Answers that are not HTML (exports, feeds, photos, the API) are
not weighed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sunshine import create_app
from sunshine.demo.services import build_demo
from sunshine.extensions import db
from sunshine.regions.models import Region
from tests import public_routes as routes
from tests import test_queries as queries
from tests.apps import PASSWORD, IsolatedClient, make_config

MAX_BYTES = 60 * 1024
#: The default of ``sunshine demo --households`` (what ``make run`` builds). The heaviest pages,
#: the statistics of the province and its cities, have a row for every city or county whatever
#: the size, and list pages are paged; a smaller demo hides more small figures, which weighs a
#: few KB more at most (30 households: the heaviest page 50.6 KB, against 48 KB here).
HOUSEHOLDS = 2000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("weight")
    app = create_app(make_config(tmp, f"sqlite:///{tmp / 'site.sqlite'}"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        build_demo(households=HOUSEHOLDS, seed=1, password=PASSWORD)
        routes._add_photos_and_inquiry()
    yield app
    with app.app_context():
        db.engine.dispose()


def _regions() -> list[dict[str, Any]]:
    """The province (and its counties' part) and every city and county: their statistics pages
    differ in size."""
    codes = db.session.scalars(select(Region.code).where(Region.level <= 3)
                               .order_by(Region.code))
    pages: list[dict[str, Any]] = [{"code": code} for code in codes]
    return [*pages, {"code": pages[0]["code"], "part": "counties"}]


#: The fillers of the query-count test, with every region's statistics page.
FILLERS: dict[str, routes.Filler] = {
    **routes.FILLERS, "stats.detail": _regions}


# --- weighing --------------------------------------------------------------------------------


class _Stylesheets(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = values.get("href")
        if tag == "link" and "stylesheet" in (values.get("rel") or "").split() and href:
            self.hrefs.append(href)


@dataclass
class Weight:
    url: str
    html: int
    css: int

    @property
    def total(self) -> int:
        return self.html + self.css


def _css_size(client: FlaskClient, href: str, sizes: dict[str, int]) -> int:
    """The uncompressed size of a linked stylesheet, its fingerprint (``?v=``) left off."""
    path = urlsplit(href).path
    if path not in sizes:
        response = client.get(path)
        assert response.status_code == 200, f"stylesheet {path} answered {response.status_code}"
        sizes[path] = len(response.get_data())
        response.close()
    return sizes[path]


def weigh_every_page(app: Flask) -> list[Weight]:
    urls, unfilled = routes.public_urls(app, FILLERS)
    assert not unfilled, "rules without a filler in tests/public_routes.py: " + ", ".join(unfilled)
    clients: dict[str | None, FlaskClient] = {}
    css_sizes: dict[str, int] = {}
    weights = []
    for endpoint, url in urls:
        owner = routes.OWN_PAGES.get(endpoint)
        if owner not in clients:
            clients[owner] = queries._client(app, owner)
        client = clients[owner]
        response = client.get(url)
        assert response.status_code in (200, 302), f"{url} answered {response.status_code}"
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        html = response.get_data()
        response.close()
        parser = _Stylesheets()
        parser.feed(html.decode())
        css = sum(_css_size(client, href, css_sizes) for href in dict.fromkeys(parser.hrefs))
        weights.append(Weight(url, len(html), css))
    return sorted(weights, key=lambda weight: -weight.total)


def test_every_public_page_weighs_at_most_60_kb(site: Flask) -> None:
    weights = weigh_every_page(site)
    assert len(weights) > 40, f"only {len(weights)} HTML pages were weighed"
    print("\nheaviest pages (bytes: HTML + CSS = total)")
    for weight in weights[:10]:
        print(f"{weight.html:7,d} + {weight.css:6,d} = {weight.total:7,d}  {weight.url}")
    heavy = [f"{weight.url}: {weight.total:,d} B ({weight.html:,d} HTML + {weight.css:,d} CSS)"
             for weight in weights if weight.total > MAX_BYTES]
    assert not heavy, f"{len(heavy)} pages weigh more than {MAX_BYTES:,d} B:\n" + "\n".join(heavy)
