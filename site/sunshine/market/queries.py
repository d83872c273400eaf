"""What the public sees of the market: the filtered list of listings on sale, one listing,
a seller's other listings, and the counties that have any."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from sunshine.extensions import db
from sunshine.market.models import Listing, ListingStatus, Seller
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
    """Listings on sale, with their photos for the cards unless ``photos`` is False."""
    query = select(Listing).where(Listing.status == ListingStatus.ON_SALE)
    if photos:
        query = query.options(selectinload(Listing.photos))
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
    return db.session.scalar(select(Listing).where(
        Listing.id == listing_id, Listing.status == ListingStatus.ON_SALE)
        .options(selectinload(Listing.photos)))


def other_listings(listing: Listing, limit: int = 6) -> list[Listing]:
    query = public_query(Filters(seller_id=listing.seller_id)).where(Listing.id != listing.id)
    return list(db.session.execute(query.limit(limit)).scalars())


def seller_listings(seller: Seller) -> list[Listing]:
    return list(db.session.execute(select(Listing).where(Listing.seller_id == seller.id)
                                   .order_by(Listing.id.desc())).scalars())


def counties_with_listings() -> list[Region]:
    county = func.substr(Listing.origin_code, 1, 6)
    prefixes = set(db.session.execute(select(county).where(
        Listing.status == ListingStatus.ON_SALE).distinct()).scalars())
    wanted = [p + "000000" for p in prefixes]
    if not wanted:
        return []
    return list(db.session.execute(select(Region).where(Region.code.in_(wanted))
                                   .order_by(Region.code)).scalars())
