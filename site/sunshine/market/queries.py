"""What the public sees of the market: the filtered list of listings on sale, one listing,
a seller's other listings, and the counties that have any."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import CursorResult, Executable, Select, bindparam, func, select
from sqlalchemy.orm import aliased, defaultload, selectinload

from sunshine.extensions import db
from sunshine.market.models import (
    Listing,
    ListingPhoto,
    ListingStatus,
    Seller,
    SellerKind,
    SellerStatus,
)
from sunshine.pagecache.versions import signature
from sunshine.records.paging import PageNumbers
from sunshine.regions import codes
from sunshine.regions.models import Region


def plain_rows(statement: Executable, **params: Any) -> CursorResult[Any]:
    """A statement's plain rows, read on the session's connection: without the ORM's part of
    ``session.execute`` (a third of the cost of a small statement), which loads no object
    here."""
    return db.session.connection().execute(statement, params)


#: ``Listing.county_code`` in SQL: the back office scopes listings by their origin's county.
ORIGIN_COUNTY = func.substr(Listing.origin_code, 1, 6).concat("000000")


@dataclass
class Filters:
    category: str | None = None
    county: str | None = None
    label: str | None = None
    certified: bool = False
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    sort: str = "new"  # new, price, price_desc


@dataclass
class Card:
    """A listing on sale as the lists, the CSV and the JSON list show it: one plain row with
    its origin's and seller's names and its first photo, the same names as ``Listing``'s."""

    id: int
    name: str
    category: str
    variety: str
    spec: str
    unit: str
    price: Decimal
    min_order: int
    stock: str
    shelf_life: str
    produced_on: date | None
    origin_code: str
    labels: str
    certified: bool
    published_at: datetime | None
    seller_id: int
    origin_name: str
    seller_name: str
    seller_kind: SellerKind
    photo_id: int | None

    @property
    def label_list(self) -> list[str]:
        return [label for label in self.labels.split(",") if label]

    @property
    def url(self) -> str:
        return f"/market/{self.id}"


_FIRST_PHOTO = (select(func.min(ListingPhoto.id)).where(ListingPhoto.listing_id == Listing.id)
                .correlate(Listing).scalar_subquery())


#: The columns of a card, built once (a select of twenty columns costs a request a fraction
#: of a millisecond to build).
_CARDS = (select(
    Listing.id, Listing.name, Listing.category, Listing.variety, Listing.spec, Listing.unit,
    Listing.price, Listing.min_order, Listing.stock, Listing.shelf_life, Listing.produced_on,
    Listing.origin_code, Listing.labels, Listing.certified, Listing.published_at,
    Listing.seller_id, Region.name, Seller.name, Seller.kind, _FIRST_PHOTO)
    .join(Seller, Seller.id == Listing.seller_id)
    .join(Region, Region.code == Listing.origin_code))


def cards(query: Select[Any], **params: Any) -> list[Card]:
    return [Card(*row) for row in plain_rows(query, **params)]


_PHOTO_IDS = (select(ListingPhoto.listing_id, ListingPhoto.id)
              .where(ListingPhoto.listing_id.in_(bindparam("listing_ids", expanding=True)))
              .order_by(ListingPhoto.id))


def photo_ids(listing_ids: list[int]) -> dict[int, list[int]]:
    """The photos of some listings, in order, from one statement."""
    out: dict[int, list[int]] = {i: [] for i in listing_ids}
    if listing_ids:
        for listing_id, photo_id in plain_rows(_PHOTO_IDS, listing_ids=listing_ids):
            out[listing_id].append(photo_id)
    return out


def _conditions(filters: Filters) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The filters that are set (the shape of the statement) and their values (its
    parameters)."""
    shape: list[str] = []
    params: dict[str, Any] = {}
    if filters.category:
        shape.append("category")
        params["category"] = filters.category
    if filters.county:
        shape.append("county")
        params["lo"], params["hi"] = codes.subtree_bounds(filters.county)
    if filters.label:
        shape.append("label")
        params["label"] = filters.label
    if filters.certified:
        shape.append("certified")
    for name in ("min_price", "max_price"):
        if getattr(filters, name) is not None:
            shape.append(name)
            params[name] = getattr(filters, name)
    return tuple(shape), params


_ORDERS = {"new": (Listing.published_at.desc(), Listing.id.desc()),
           "price": (Listing.price, Listing.id),
           "price_desc": (Listing.price.desc(), Listing.id)}


@functools.cache
def _statements(shape: tuple[str, ...], sort: str) -> tuple[Select[Any], Select[Any]]:
    """The cards of the listings on sale with the filters ``shape`` names, sorted, and their
    count: built once for each shape, the filters' values, limit and offset as parameters
    (building a statement costs a list more than running it)."""
    where = [Listing.status == ListingStatus.ON_SALE]
    if "category" in shape:
        where.append(Listing.category == bindparam("category"))
    if "county" in shape:
        where.append(Listing.origin_code.between(bindparam("lo"), bindparam("hi")))
    if "label" in shape:
        where.append(Listing.labels.contains(bindparam("label")))
    if "certified" in shape:
        where.append(Listing.certified.is_(True))
    if "min_price" in shape:
        where.append(Listing.price >= bindparam("min_price"))
    if "max_price" in shape:
        where.append(Listing.price <= bindparam("max_price"))
    rows = (_CARDS.where(*where).order_by(*_ORDERS[sort])
            .limit(bindparam("limit")).offset(bindparam("offset")))
    return rows, select(func.count()).select_from(Listing).where(*where)


def card_rows(filters: Filters, limit: int, offset: int = 0) -> list[Card]:
    """The listings on sale with ``filters``, as cards (one statement)."""
    shape, params = _conditions(filters)
    rows, _ = _statements(shape, filters.sort if filters.sort in _ORDERS else "new")
    return cards(rows, **params, limit=limit, offset=offset)


@dataclass
class CardPage(PageNumbers):
    """One page of the list, with what the pagination macro reads."""

    items: list[Card]
    page: int
    per_page: int
    total: int


def card_page(filters: Filters, page: int, per_page: int) -> CardPage:
    """A page of the list (two statements: the count and the cards)."""
    shape, params = _conditions(filters)
    _, count = _statements(shape, filters.sort if filters.sort in _ORDERS else "new")
    total = plain_rows(count, **params).scalar() or 0
    return CardPage(card_rows(filters, per_page, (page - 1) * per_page), page, per_page, total)


def get_public(listing_id: int) -> Listing | None:
    """A listing on sale with its photos, origin and seller (not the seller's regions, which
    its page does not show)."""
    return db.session.scalar(select(Listing).where(
        Listing.id == listing_id, Listing.status == ListingStatus.ON_SALE)
        .options(selectinload(Listing.photos),
                 defaultload(Listing.seller).raiseload(Seller.county),
                 defaultload(Listing.seller).raiseload(Seller.village)))


_ONE_CARD = _CARDS.where(Listing.status == ListingStatus.ON_SALE,
                         Listing.id == bindparam("listing_id"))


def public_card(listing_id: int) -> Card | None:
    """One listing on sale as a card."""
    row = plain_rows(_ONE_CARD, listing_id=listing_id).first()
    return Card(*row) if row is not None else None


_DESCRIPTION = select(Listing.description_md).where(Listing.id == bindparam("listing_id"))


def description_of(listing_id: int) -> str:
    return plain_rows(_DESCRIPTION, listing_id=listing_id).scalar() or ""


#: ``card_query(Filters(seller_id=...))`` without one listing (0 for none), built once.
_SELLER_CARDS = (_CARDS.where(Listing.status == ListingStatus.ON_SALE,
                              Listing.seller_id == bindparam("seller_id"),
                              Listing.id != bindparam("listing_id"))
                 .order_by(Listing.published_at.desc(), Listing.id.desc())
                 .limit(bindparam("limit")))


def seller_cards(seller_id: int, limit: int, but: int = 0) -> list[Card]:
    """Up to ``limit`` listings of a seller on sale, newest first, without the listing
    ``but``."""
    return cards(_SELLER_CARDS, seller_id=seller_id, listing_id=but, limit=limit)


def other_listings(listing: Card, limit: int = 6) -> list[Card]:
    return seller_cards(listing.seller_id, limit, but=listing.id)


def seller_listings(seller: Seller) -> list[Listing]:
    return list(db.session.execute(select(Listing).where(Listing.seller_id == seller.id)
                                   .order_by(Listing.id.desc())).scalars())


class SellerRow(NamedTuple):
    """A seller's profile as its public page and the seller's own pages show it, with the
    names of its county and village."""

    id: int
    name: str
    kind: SellerKind
    county_code: str
    village_code: str
    licence: str
    poverty_link: str
    intro: str
    status: SellerStatus
    status_note: str
    county_name: str
    village_name: str

    @property
    def verified(self) -> bool:
        return self.status == SellerStatus.VERIFIED

    def form_values(self) -> dict[str, str]:
        """The profile form's fields, filled in."""
        return {"name": self.name, "kind": self.kind.value, "county": self.county_code,
                "village_code": self.village_code, "licence": self.licence,
                "poverty_link": self.poverty_link, "intro": self.intro}


_County = aliased(Region)
_Village = aliased(Region)
#: The columns of a ``SellerRow``, without a condition.
SELLER_ROW = (select(Seller.id, Seller.name, Seller.kind, Seller.county_code,
                     Seller.village_code, Seller.licence, Seller.poverty_link, Seller.intro,
                     Seller.status, Seller.status_note, _County.name, _Village.name)
              .join(_County, _County.code == Seller.county_code)
              .join(_Village, _Village.code == Seller.village_code))


_VERIFIED_SELLER = SELLER_ROW.where(Seller.id == bindparam("seller_id"),
                                    Seller.status == SellerStatus.VERIFIED)


def verified_seller(seller_id: int) -> SellerRow | None:
    """A verified seller, for its public page."""
    row = plain_rows(_VERIFIED_SELLER, seller_id=seller_id).first()
    return SellerRow(*row) if row is not None else None


def counties_with_listings() -> list[tuple[str, str]]:
    """(code, name) of the counties with a listing on sale, for the list's menu: kept per
    worker until a listing changes (it reads every listing on sale)."""
    now = signature((("market", None),))
    kept = current_app.extensions.get("market_counties")
    if kept is None or kept[0] != now:
        county = func.substr(Listing.origin_code, 1, 6).concat("000000")
        wanted = select(county).where(Listing.status == ListingStatus.ON_SALE)
        found = list(db.session.execute(select(Region.code, Region.name).where(
            Region.code.in_(wanted)).order_by(Region.code)).tuples())
        kept = current_app.extensions["market_counties"] = (now, found)
    return list(kept[1])
