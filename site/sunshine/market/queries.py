"""What the public sees of the market: the filtered list of listings on sale, one listing,
a seller's other listings, and the counties that have any."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import defaultload, selectinload

from sunshine.extensions import db
from sunshine.market.models import Listing, ListingPhoto, ListingStatus, Seller, SellerKind
from sunshine.pagecache.versions import signature
from sunshine.regions import codes
from sunshine.regions.models import Region

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
    seller_id: int | None = None


def public_query(filters: Filters, photos: bool = True) -> Select[tuple[Listing]]:
    """Listings on sale, with their photos unless ``photos`` is False."""
    query = select(Listing)
    if photos:
        query = query.options(selectinload(Listing.photos))
    return _filtered(query, filters)


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


def card_query(filters: Filters) -> Select[Any]:
    """``public_query`` as the columns of a card, from one statement."""
    return _filtered(_CARDS, filters)


def cards(query: Select[Any]) -> list[Card]:
    return [Card(*row) for row in db.session.execute(query)]


def photo_ids(listing_ids: list[int]) -> dict[int, list[int]]:
    """The photos of some listings, in order, from one statement."""
    out: dict[int, list[int]] = {i: [] for i in listing_ids}
    if listing_ids:
        for listing_id, photo_id in db.session.execute(
                select(ListingPhoto.listing_id, ListingPhoto.id)
                .where(ListingPhoto.listing_id.in_(listing_ids)).order_by(ListingPhoto.id)):
            out[listing_id].append(photo_id)
    return out


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    query = query.where(Listing.status == ListingStatus.ON_SALE)
    if filters.category:
        query = query.where(Listing.category == filters.category)
    if filters.county:
        lo, hi = codes.subtree_bounds(filters.county)
        query = query.where(Listing.origin_code >= lo, Listing.origin_code <= hi)
    if filters.label:
        query = query.where(Listing.labels.contains(filters.label))
    if filters.certified:
        query = query.where(Listing.certified.is_(True))
    if filters.min_price is not None:
        query = query.where(Listing.price >= filters.min_price)
    if filters.max_price is not None:
        query = query.where(Listing.price <= filters.max_price)
    if filters.seller_id is not None:
        query = query.where(Listing.seller_id == filters.seller_id)
    if filters.sort == "price":
        return query.order_by(Listing.price, Listing.id)
    if filters.sort == "price_desc":
        return query.order_by(Listing.price.desc(), Listing.id)
    return query.order_by(Listing.published_at.desc(), Listing.id.desc())


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
    row = db.session.execute(_ONE_CARD, {"listing_id": listing_id}).first()
    return Card(*row) if row is not None else None


def description_of(listing_id: int) -> str:
    return db.session.scalar(select(Listing.description_md).where(Listing.id == listing_id)) or ""


def other_listings(listing: Card, limit: int = 6) -> list[Card]:
    query = card_query(Filters(seller_id=listing.seller_id)).where(Listing.id != listing.id)
    return cards(query.limit(limit))


def seller_listings(seller: Seller) -> list[Listing]:
    return list(db.session.execute(select(Listing).where(Listing.seller_id == seller.id)
                                   .order_by(Listing.id.desc())).scalars())


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
