"""What a seller's own pages (/market/my/) read: plain rows of the columns they show, from
statements built once with bound parameters, and the region menus of their forms remembered
per worker until the region tree changes.

These pages are rendered for one visitor each, never kept by the page cache; whole objects
(a listing joins its seller, the seller's county and village, and its origin) cost them more
than everything else. The writes load the objects they change (``services``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, select

from sunshine.market.models import (
    Inquiry,
    Listing,
    ListingPhoto,
    ListingStatus,
    Seller,
)
from sunshine.market.queries import SELLER_ROW, SellerRow, plain_rows
from sunshine.pagecache import memo
from sunshine.regions import services as regions

_SELLER = SELLER_ROW.where(Seller.user_id == bindparam("user_id"))


def seller(user_id: int) -> SellerRow | None:
    """The user's seller profile, or None before they filled it in."""
    row = plain_rows(_SELLER, user_id=user_id).first()
    return SellerRow(*row) if row is not None else None


class OwnListing(NamedTuple):
    """A row of the seller's table of products."""

    id: int
    name: str
    certified: bool
    price: Decimal
    unit: str
    status: ListingStatus
    takedown_reason: str
    price_flagged: bool

    @property
    def url(self) -> str:
        return f"/market/{self.id}"


_LISTINGS = (select(Listing.id, Listing.name, Listing.certified, Listing.price, Listing.unit,
                    Listing.status, Listing.takedown_reason, Listing.price_flagged)
             .where(Listing.seller_id == bindparam("seller_id")).order_by(Listing.id.desc()))


def listings(seller_id: int) -> list[OwnListing]:
    """Every listing of the seller, newest first."""
    return [OwnListing(*row) for row in plain_rows(_LISTINGS, seller_id=seller_id)]


class OwnInquiry(NamedTuple):
    """A buyer's inquiry as the seller reads it, with the product's name."""

    id: int
    listing_name: str
    quantity: str
    contact: str
    message: str
    reply: str
    created_at: datetime
    replied_at: datetime | None
    seller_user_id: int


_INQUIRY_COLUMNS = (Inquiry.id, Listing.name, Inquiry.quantity, Inquiry.contact,
                    Inquiry.message, Inquiry.reply, Inquiry.created_at, Inquiry.replied_at,
                    Seller.user_id)
_INQUIRIES = (select(*_INQUIRY_COLUMNS)
              .join(Listing, Listing.id == Inquiry.listing_id)
              .join(Seller, Seller.id == Inquiry.seller_id)
              .where(Inquiry.seller_id == bindparam("seller_id"))
              .order_by(Inquiry.created_at.desc(), Inquiry.id.desc()))
_INQUIRY = (select(*_INQUIRY_COLUMNS)
            .join(Listing, Listing.id == Inquiry.listing_id)
            .join(Seller, Seller.id == Inquiry.seller_id)
            .where(Inquiry.id == bindparam("inquiry_id")))


def inquiries(seller_id: int) -> list[OwnInquiry]:
    """The inquiries sent to the seller, newest first."""
    return [OwnInquiry(*row) for row in plain_rows(_INQUIRIES, seller_id=seller_id)]


def inquiry(inquiry_id: int) -> OwnInquiry | None:
    """One inquiry with the account of the seller it went to (the view checks that it is the
    visitor's)."""
    row = plain_rows(_INQUIRY, inquiry_id=inquiry_id).first()
    return OwnInquiry(*row) if row is not None else None


class OwnListingForm(NamedTuple):
    """A listing as its edit page shows it: the form's values, its state, its photos and the
    account of its seller (the view checks that it is the visitor's)."""

    id: int
    name: str
    category: str
    variety: str
    spec: str
    unit: str
    price: Decimal
    min_order: int
    stock: str
    produced_on: date | None
    shelf_life: str
    origin_code: str
    labels: str
    description_md: str
    status: ListingStatus
    takedown_reason: str
    seller_user_id: int
    seller_county_code: str
    seller_village_code: str
    photo_ids: list[int]

    @property
    def label_list(self) -> list[str]:
        return [label for label in self.labels.split(",") if label]


_LISTING = (select(Listing.id, Listing.name, Listing.category, Listing.variety, Listing.spec,
                   Listing.unit, Listing.price, Listing.min_order, Listing.stock,
                   Listing.produced_on, Listing.shelf_life, Listing.origin_code, Listing.labels,
                   Listing.description_md, Listing.status, Listing.takedown_reason,
                   Seller.user_id, Seller.county_code, Seller.village_code)
            .join(Seller, Seller.id == Listing.seller_id)
            .where(Listing.id == bindparam("listing_id")))
_PHOTOS = (select(ListingPhoto.id).where(ListingPhoto.listing_id == bindparam("listing_id"))
           .order_by(ListingPhoto.id))


def listing(listing_id: int) -> OwnListingForm | None:
    """One listing for its edit page (two statements: the listing, its photos)."""
    row = plain_rows(_LISTING, listing_id=listing_id).first()
    if row is None:
        return None
    photo_ids = list(plain_rows(_PHOTOS, listing_id=listing_id).scalars())
    return OwnListingForm._make((*row, photo_ids))


# --- the region menus of the forms ---------------------------------------------------------


def region_version() -> tuple[int, ...]:
    """The version of the region tree, read once by a page that reads several menus."""
    return memo.versions([regions.TREE])


def county_choices(version: tuple[int, ...]) -> list[tuple[str, str]]:
    """(code, name) of every county of the province, for the profile's menu."""
    return memo.remember("market-counties", None, version, lambda: [
        (place.code, place.name) for place in regions.places((3,))])


def village_names(county: str, version: tuple[int, ...]) -> list[tuple[str, str]]:
    """(code, name) of a county's villages, for the profile's menu."""
    return memo.remember("market-village-names", county, version,
                         lambda: [(place.code, place.name)
                                  for place in regions.places((5,), within=county)])


def village_choices(county: str, version: tuple[int, ...] | None = None
                    ) -> list[tuple[str, str]]:
    """(code, "省 市 县 镇 村") of a county's villages, for a listing's origin: read from plain
    rows (two statements) once per county and ``version`` of the region tree."""
    return memo.remember("market-village-choices", county,
                         region_version() if version is None else version,
                         lambda: _full_village_names(county))


def _full_village_names(county: str) -> list[tuple[str, str]]:
    names = {p.code: p.name for p in regions.places((1, 2))}
    villages = []
    for place in regions.places((3, 4, 5), within=county):
        names[place.code] = place.name
        if place.level == 5:
            villages.append(place.code)
    return [(code, " ".join(names[above] for above in _above(code) if above in names))
            for code in villages]


def _above(code: str) -> list[str]:
    """A region's code and its ancestors' codes, province first."""
    return [code[:n].ljust(12, "0") for n in (2, 4, 6, 9) if code[:n].ljust(12, "0") != code
            ] + [code]
