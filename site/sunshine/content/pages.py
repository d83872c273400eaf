"""What the public article pages show, remembered per worker until an article or the region
tree changes (``pagecache.memo``): plain values, never ORM objects and never HTML, so they
serve with the page cache off too. What depends on the day (an expired policy) is decided at
each request from the remembered dates; lists are keyed by the day as well, since they leave
out expired policies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sunshine.content import services
from sunshine.content.models import Kind
from sunshine.extensions import db
from sunshine.pagecache import memo
from sunshine.pagecache.versions import Scope
from sunshine.records.paging import NumberedPage, paginate_rows
from sunshine.records.plain import copy
from sunshine.regions import services as regions

#: An article's page names its region's ancestors; every page shows other articles.
SCOPES: list[Scope] = [("content", None), regions.TREE]


@dataclass(frozen=True)
class Related:
    url: str
    title: str
    published_on: date


@dataclass(frozen=True)
class Shown:
    """An article as its page shows it."""

    url: str
    region_code: str
    title: str
    summary: str
    body_html: str
    category: str
    level: str
    issuer: str
    document_number: str
    tags: tuple[str, ...]
    attachments: tuple[dict[str, Any], ...]
    published_on: date
    expires_on: date | None
    changed_after_publish_at: datetime | None
    change_note: str
    place: str  # the region's ancestors below the province and the region, space separated
    related: tuple[Related, ...]

    def expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today


def article(kind: Kind, slug: str) -> Shown | None:
    """The published article ``slug`` of ``kind`` with its related articles, or None."""
    return memo.remember("article-page", (kind, slug), memo.versions(SCOPES),
                         lambda: _article(kind, slug), size=256)


def _article(kind: Kind, slug: str) -> Shown | None:
    found = services.get_public(kind, slug)
    if found is None:
        return None
    ancestors = regions.ancestors_of(found.region)
    place = "".join(f"{a.name} " for a in ancestors if a.level > 1) + found.region.name
    return Shown(
        url=found.url, region_code=found.region_code, title=found.title,
        summary=found.summary, body_html=found.body_html, category=found.category,
        level=found.level, issuer=found.issuer, document_number=found.document_number,
        tags=tuple(found.tags or ()), attachments=tuple(found.attachments or ()),
        published_on=found.published_on, expires_on=found.expires_on,
        changed_after_publish_at=found.changed_after_publish_at,
        change_note=found.change_note, place=place,
        related=tuple(Related(r.url, r.title, r.published_on)
                      for r in services.related(found)))


@dataclass(frozen=True)
class Listed:
    """A page of a news or policy list with the menus around it."""

    page: NumberedPage[services.ArticleItem]
    region: regions.Place | None  # the region chosen, when it exists
    cities: list[regions.Place]
    years: list[int]


def listed(kind: Kind, filters: services.Filters, number: int, per_page: int,
           today: date) -> Listed:
    """A page of the list of ``kind`` under ``filters`` on ``today``."""
    key = (kind, filters.category, filters.level, filters.region, filters.year,
           filters.include_expired, number, per_page, today)
    return memo.remember("article-list", key, memo.versions(SCOPES),
                         lambda: _listed(kind, filters, number, per_page, today), size=256)


def _listed(kind: Kind, filters: services.Filters, number: int, per_page: int,
            today: date) -> Listed:
    rows = paginate_rows(services.item_query(kind, filters, today), number, per_page)
    page = NumberedPage([services.ArticleItem(*row) for row in rows.items], rows.page,
                        per_page, rows.total or 0)
    region = None
    if filters.region:
        try:
            found = regions.get_region(filters.region)
        except regions.RegionNotFound:
            pass
        else:
            region = regions.Place(found.code, found.name, found.level, found.parent_code,
                                   found.longitude, found.latitude)
    return Listed(page, region, regions.places((2,)), services.years(kind))


def feed(kind: Kind, filters: services.Filters, today: date) -> list[SimpleNamespace]:
    """The newest 30 articles of a feed (plain copies, with their ``url``)."""
    key = (kind, filters.region, filters.category, today)
    return memo.remember("article-feed", key, memo.versions(SCOPES), lambda: [
        copy(found, "url") for found in db.session.execute(
            services.public_query(kind, filters, today).limit(30)).scalars()], size=64)
