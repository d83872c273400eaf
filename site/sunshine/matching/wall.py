"""The thanks wall (/help/thanks): its figures, one page of thank-you notes, their donors and
places, remembered per worker until a need of the region (or above or below it), or the region
tree, changes; so the wall reads one version a view, with the page cache on or off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sunshine.extensions import db
from sunshine.matching import queries
from sunshine.matching.listing import ListPage, scopes
from sunshine.pagecache import memo
from sunshine.regions.province import province_code

PER_PAGE = 20


@dataclass
class Wall:
    total: queries.Totals
    children: list[queries.Totals]
    page: ListPage[Any]  # the notes (rows of ``thanked_query``), with their places
    donors: dict[int, list[str]]


def wall(region: str | None, page: int) -> Wall:
    """The wall of ``region`` (None: the province) on page ``page``."""
    at = memo.versions(scopes(region))
    return memo.remember("help-thanks", (region, page), at, lambda: _read(region, page))


def _read(region: str | None, page: int) -> Wall:
    total, children = queries.count_totals(region or province_code())
    query = queries.thanked_query(region)
    count = db.session.scalar(queries.count_of(query)) or 0
    rows = list(db.session.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    places = queries.places(n.village_code for n in rows)
    return Wall(total, children, ListPage(rows, places, page, PER_PAGE, count),
                queries.donors_of([n.id for n in rows]))
