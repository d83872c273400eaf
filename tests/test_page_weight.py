"""Every public page is light: its HTML and the stylesheets it links weigh at most
``MAX_BYTES`` uncompressed, on a demo province the size ``sunshine demo`` builds by default.

The rules come from ``app.url_map`` (all GET rules but the back office and static files); each
rule with arguments needs a filler below that picks a real row, so that a new rule fails here
until it gets one. Answers that are not HTML (exports, feeds, photos, the API) are not weighed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from sunshine import create_app
from sunshine.accounts.models import User
from sunshine.complaints.models import Case
from sunshine.demo.services import build_demo
from sunshine.extensions import db
from sunshine.funds.models import Fund
from sunshine.market.models import Inquiry, Listing, ListingPhoto, Seller
from sunshine.matching.models import Need, NeedPhoto
from sunshine.notices.models import Notice
from sunshine.projects.models import Project, ProjectUpdate
from sunshine.regions.models import Region
from tests.conftest import PASSWORD, IsolatedClient, make_config
from tests.images import jpeg

MAX_BYTES = 60 * 1024
#: The default of ``sunshine demo --households`` (what ``make run`` builds). The heaviest pages
#: (the province's and the counties' statistics, the funds ledger) grow with the households up
#: to this size: the demo spreads them over every county of the province.
HOUSEHOLDS = 2000
SKIPPED_PREFIXES = ("/admin", "/static")
CITIZEN = "donor-demo"
SELLER = "seller-demo"


# --- the demo province, built once for the module ---------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("weight")
    app = create_app(make_config(tmp, f"sqlite:///{tmp / 'site.sqlite'}"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        build_demo(households=HOUSEHOLDS, seed=1, password=PASSWORD)
        _add_photos_and_inquiry()
    yield app
    with app.app_context():
        db.engine.dispose()


def _add_photos_and_inquiry() -> None:
    """What the demo leaves out: a need photo, a project progress photo and an inquiry."""
    from datetime import date

    from sunshine.market.inquiries import send_inquiry
    from sunshine.matching.photos import add_photos
    from sunshine.projects.services import add_update

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    need = db.session.scalars(select(Need).order_by(Need.id)).first()
    project = db.session.scalars(select(Project).where(Project.state == "published")
                                 .order_by(Project.id)).first()
    assert admin and need and project
    add_photos(admin, need, [jpeg()], "受助户口头同意")
    add_update(admin, project, date.today(), "完成路基", photo=jpeg())
    listing = db.session.scalars(select(Listing).join(Seller).join(User)
                                 .where(User.username == SELLER)).first()
    assert listing
    send_inquiry(listing, "10 斤", "13800000000", "请问何时发货")


# --- fillers: real arguments for each rule that has some ------------------------------------


def _first(statement: Any) -> Any:
    value = db.session.scalars(statement.limit(1)).first()
    assert value is not None, f"no row for {statement}"
    return value


def _published_fund() -> int:
    return _first(select(Fund.id).where(Fund.state == "published").order_by(Fund.id))


def _published_project() -> int:
    return _first(select(Project.id).where(Project.state == "published").order_by(Project.id))


def _on_sale() -> int:
    return _first(select(Listing.id).where(Listing.status == "on_sale").order_by(Listing.id))


def _regions() -> list[dict[str, Any]]:
    """The province (and its counties' part) and every city and county: their statistics pages
    differ in size."""
    codes = db.session.scalars(select(Region.code).where(Region.level <= 3)
                               .order_by(Region.code))
    pages: list[dict[str, Any]] = [{"code": code} for code in codes]
    return [*pages, {"code": pages[0]["code"], "part": "counties"}]


def _public_need() -> int:
    from sunshine.matching import queries

    return _first(queries.public_query(queries.parse_filters({})).with_only_columns(Need.id))


def _notices() -> list[dict[str, Any]]:
    """Every published notice: their pages differ by kind and length."""
    ids = db.session.scalars(select(Notice.id).where(Notice.published_at.is_not(None))
                             .order_by(Notice.id))
    return [{"notice_id": notice_id} for notice_id in ids]


def _article_slug(kind: str) -> str:
    from sunshine.content.models import Article, Kind, Status

    return _first(select(Article.slug).where(Article.kind == Kind(kind),
                                             Article.status == Status.PUBLISHED))


#: Endpoint -> the arguments of one URL, or of several when the pages differ much.
FILLERS: dict[str, Callable[[], dict[str, Any] | list[dict[str, Any]]]] = {
    "funds.detail": lambda: {"fund_id": _published_fund()},
    "funds_api.api_fund": lambda: {"fund_id": _published_fund()},
    "projects.detail": lambda: {"project_id": _published_project()},
    "projects.qr": lambda: {"project_id": _published_project()},
    "projects_api.api_project": lambda: {"project_id": _published_project()},
    "projects.photo": lambda: {"name": _first(select(ProjectUpdate.photo).where(
        ProjectUpdate.photo.is_not(None)))},
    "notices.detail": _notices,
    "notices.print_page": _notices,
    "notices.export_entries": lambda: _notices()[:1],
    "notices_api.api_notice": lambda: _notices()[:1],
    "matching.detail": lambda: {"need_id": _public_need()},
    "matching_api.api_need": lambda: {"need_id": _public_need()},
    "matching.photo": lambda: {"photo_id": _first(select(NeedPhoto.id)), "kind": "thumb"},
    "market.detail": lambda: {"listing_id": _on_sale()},
    "market_api.api_product": lambda: {"listing_id": _on_sale()},
    "market.photo": lambda: {"photo_id": _first(select(ListingPhoto.id).join(Listing).where(
        Listing.status == "on_sale")), "kind": "thumb"},
    "market.seller": lambda: {"seller_id": _first(select(Seller.id).where(
        Seller.status == "verified").order_by(Seller.id))},
    "market_seller.edit": lambda: {"listing_id": _first(select(Listing.id).join(Seller).join(
        User).where(User.username == SELLER).order_by(Listing.id))},
    "market_seller.inquiry": lambda: {"inquiry_id": _first(select(Inquiry.id))},
    "complaints.answer": lambda: {"case_id": _first(select(Case.id).where(
        Case.published_at.is_not(None)))},
    "news.news_detail": lambda: {"slug": _article_slug("news")},
    "policies.policy_detail": lambda: {"slug": _article_slug("policy")},
    "regions.api_detail": lambda: _regions()[:1],
    "stats.detail": _regions,
    "stats.export": lambda: _regions()[:1],
    "stats_api.api_detail": lambda: _regions()[:1],
}

#: Pages of one account, weighed as that account (an anonymous visitor is sent to log in).
OWN_PAGES = {
    "accounts.password": CITIZEN,
    "matching.mine": CITIZEN,
    "market_seller.home": SELLER,
    "market_seller.new": SELLER,
    "market_seller.edit": SELLER,
    "market_seller.profile": SELLER,
    "market_seller.inquiry": SELLER,
}


def public_rules(app: Flask) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "GET" in (rule.methods or ()) and not rule.rule.startswith(SKIPPED_PREFIXES)),
                  key=lambda rule: rule.rule)


def _urls(app: Flask) -> tuple[list[tuple[str, str]], list[str]]:
    """(endpoint, URL) for every public rule, and the rules that have no filler."""
    urls: list[tuple[str, str]] = []
    unfilled = []
    with app.test_request_context():
        for rule in public_rules(app):
            filler = FILLERS.get(rule.endpoint)
            if rule.arguments and filler is None:
                unfilled.append(f"{rule.rule} ({rule.endpoint})")
                continue
            values = filler() if filler else {}
            for arguments in values if isinstance(values, list) else [values]:
                urls.append((rule.endpoint, url_for(rule.endpoint, **arguments)))
    return urls, unfilled


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


def _client(app: Flask, username: str | None) -> FlaskClient:
    client = app.test_client()
    if username:
        response = client.post("/login", data={"login": username, "password": PASSWORD})
        assert response.status_code == 302, f"{username} could not log in"
    return client


def weigh_every_page(app: Flask) -> list[Weight]:
    urls, unfilled = _urls(app)
    assert not unfilled, "rules without a filler in tests/test_page_weight.py: " + ", ".join(
        unfilled)
    clients: dict[str | None, FlaskClient] = {}
    css_sizes: dict[str, int] = {}
    weights = []
    for endpoint, url in urls:
        owner = OWN_PAGES.get(endpoint)
        if owner not in clients:
            clients[owner] = _client(app, owner)
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
