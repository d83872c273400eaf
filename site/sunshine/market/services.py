"""Sellers and listings: the rules (verification gate, origin check, states, price flag,
certification by staff only). Services commit, with the search outbox rows of what they
change. What the public reads is in ``queries``; buyers' inquiries are in ``inquiries``;
photos in ``photos``.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select

from sunshine import pagecache
from sunshine.accounts.models import STAFF_ROLES, Role, User, Visitor
from sunshine.accounts.permissions import check_region
from sunshine.audit import record
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import FieldError, PermissionDenied
from sunshine.guard import check_publishable
from sunshine.market import indexing
from sunshine.market.models import (
    CATEGORIES,
    LABELS,
    UNITS,
    Listing,
    ListingStatus,
    Seller,
    SellerKind,
    SellerStatus,
)
from sunshine.regions import codes
from sunshine.regions.models import Region

__all__ = ["MarketError", "PermissionDenied"]

#: Digits only (ASCII), at most 8 before the point and 2 after.
_PRICE_RE = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?")
MAX_PRICE = Decimal("10000000")


class MarketError(FieldError):
    """A business rule of the market refused the action."""


def parse_price(text: str | None) -> Decimal:
    """A price in yuan: plain digits with at most two decimals, above zero.

    :raise MarketError: negative, zero, NaN, infinity, exponents, full-width digits, 3+ decimals.
    """
    value = (text or "").strip()
    if not _PRICE_RE.fullmatch(value):
        raise MarketError("请填写价格（元），如 12.50，最多两位小数", "price")
    try:
        price = Decimal(value)
    except InvalidOperation:  # pragma: no cover  (the pattern admits only valid decimals)
        raise MarketError("价格格式不正确", "price") from None
    if price <= 0:
        raise MarketError("价格必须大于 0", "price")
    if price >= MAX_PRICE:
        raise MarketError("价格太大", "price")
    return price.quantize(Decimal("0.01"))


def _is_staff(user: Visitor) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in STAFF_ROLES


# --- sellers -------------------------------------------------------------------------------


@dataclass
class SellerFields:
    name: str
    kind: SellerKind
    village_code: str
    licence: str = ""
    poverty_link: str = ""
    intro: str = ""


def seller_for(user: Visitor) -> Seller | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Seller).where(Seller.user_id == user.id))


def save_seller(user: User, fields: SellerFields) -> Seller:
    """Create or update the user's seller profile; a changed area needs verifying again.

    :raise MarketError: not a seller account, or the village is not a village.
    :raise PermissionDenied: never for sellers; staff cannot have a seller profile.
    """
    if user.role != Role.SELLER:
        raise PermissionDenied("only seller accounts have a seller profile")
    village = db.session.get(Region, fields.village_code)
    if village is None or village.level != 5:
        raise MarketError("请选择产地所在的村（社区）", "village_code")
    if not fields.name.strip():
        raise MarketError("请填写名称", "name")
    # The profile is public once verified: no ID, mobile or card numbers in it.
    check_publishable(fields.name, fields.licence, fields.poverty_link, fields.intro)
    county = codes.ancestors_of(village.code)[2]
    seller = seller_for(user)
    old_county = seller.county_code if seller is not None else None
    held: list[Listing] = []
    if seller is None:
        seller = Seller(user_id=user.id, status=SellerStatus.PENDING)
        db.session.add(seller)
    elif seller.status == SellerStatus.REJECTED or seller.village_code != village.code \
            or seller.kind != fields.kind:
        # A refused seller applies again; a verified one that moved or changed its kind is
        # verified again, and until then its products wait for review, off the public pages.
        seller.status, seller.verified_at = SellerStatus.PENDING, None
        held = _hold_listings(seller)
    seller.name, seller.kind = fields.name.strip(), fields.kind
    seller.county_code, seller.village_code = county, village.code
    seller.licence, seller.poverty_link = fields.licence.strip(), fields.poverty_link
    seller.intro = fields.intro
    db.session.flush()
    pagecache.changed("market", county, *([old_county] if old_county else []))
    record("market.seller_save", user, "market_seller", seller.id, county)
    indexing.reindex(held)
    db.session.commit()
    return seller


def verify_seller(staff: User, seller: Seller, approve: bool, note: str = "") -> Seller:
    """County staff (or those above) confirm or refuse a seller. Refusing takes every listing
    of the seller off sale (and off the review queue) and clears its 扶贫产品 mark; after a
    new verification the seller submits them again. Listings waiting for review stay in the
    queue for staff to approve one by one.

    :raise PermissionDenied: not staff, or the seller's county is outside the staff's region.
    """
    if not _is_staff(staff):
        raise PermissionDenied("staff only")
    check_region(staff, seller.county_code)
    if not approve and not note.strip():
        raise MarketError("请说明不通过的原因", "note")
    seller.status = SellerStatus.VERIFIED if approve else SellerStatus.REJECTED
    seller.verified_at = utcnow() if approve else None
    seller.status_note = note.strip()[:500]
    taken = [] if approve else _take_down_all(seller, f"销售主体未通过核实：{note.strip()}")
    pagecache.changed("market", seller.county_code, *{item.origin_code for item in taken})
    record("market.seller_verify" if approve else "market.seller_reject", staff,
           "market_seller", seller.id, seller.county_code, note[:500])
    indexing.reindex(taken)
    db.session.commit()
    return seller


def _held(seller: Seller, statuses: tuple[ListingStatus, ...]) -> list[Listing]:
    return list(db.session.execute(select(Listing).where(
        Listing.seller_id == seller.id, Listing.status.in_(statuses))).scalars())


def _hold_listings(seller: Seller) -> list[Listing]:
    """Listings on sale go back to 待审核 while their seller is being verified again."""
    held = _held(seller, (ListingStatus.ON_SALE,))
    for listing in held:
        listing.status = ListingStatus.PENDING
    pagecache.changed("market", *{listing.origin_code for listing in held})
    return held


def _take_down_all(seller: Seller, reason: str) -> list[Listing]:
    """Every listing on sale or waiting for review → 已下架, uncertified."""
    taken = _held(seller, (ListingStatus.ON_SALE, ListingStatus.PENDING))
    for listing in taken:
        listing.status, listing.certified = ListingStatus.OFF, False
        listing.takedown_reason = reason[:500]
    return taken


# --- listings ------------------------------------------------------------------------------


@dataclass
class ListingFields:
    name: str
    category: str
    unit: str
    price: Decimal
    origin_code: str
    variety: str = ""
    spec: str = ""
    min_order: int = 1
    stock: str = ""
    produced_on: date | None = None
    shelf_life: str = ""
    labels: list[str] = field(default_factory=list)
    description_md: str = ""


def own_listing(user: Visitor, listing: Listing) -> Seller:
    """:raise PermissionDenied: the listing is not the user's."""
    seller = listing.seller  # loaded with the listing
    if not getattr(user, "is_authenticated", False) or seller.user_id != user.id:
        raise PermissionDenied("not this seller's listing")
    return seller


def _check_origin(seller: Seller, origin_code: str) -> None:
    origin = db.session.get(Region, origin_code)
    if origin is None or origin.level != 5:
        raise MarketError("请选择产地所在的村（社区）", "origin_code")
    if not codes.in_subtree(origin.code, seller.county_code):
        raise MarketError("产地必须在您经核实的县（区）范围内", "origin_code")


#: What the public reads of a listing; a change to any of them on sale means a new review.
SHOWN = ("name", "category", "unit", "price", "origin_code", "variety", "spec", "min_order",
         "stock", "produced_on", "shelf_life", "description_md")


def save_listing(user: User, fields: ListingFields, listing: Listing | None = None) -> Listing:
    """Create or edit a listing. A change to a listing on sale sends it back to 待审核, off
    the public pages until staff of its county approve it: what staff passed (and marked
    扶贫产品) is what the public reads.

    :raise MarketError: bad category, unit, label, price or origin.
    :raise PermissionDenied: no seller profile, or someone else's listing.
    """
    seller = seller_for(user)
    if seller is None:
        raise PermissionDenied("no seller profile")
    if listing is not None:
        own_listing(user, listing)
    if fields.category not in CATEGORIES:
        raise MarketError("请选择品类", "category")
    if fields.unit not in UNITS:
        raise MarketError("请选择计价单位", "unit")
    if any(label not in LABELS for label in fields.labels):
        raise MarketError("请从列出的质量标识中选择", "labels")
    if not 1 <= fields.min_order <= 1_000_000:
        raise MarketError("起订量应为 1 到 1000000", "min_order")
    _check_origin(seller, fields.origin_code)
    old_origin = [listing.origin_code] if listing is not None else []
    if listing is None:
        listing = Listing(seller_id=seller.id, status=ListingStatus.DRAFT)
        db.session.add(listing)
    labels = ",".join(label for label in LABELS if label in fields.labels)
    changed = labels != listing.labels or any(
        getattr(listing, name) != getattr(fields, name) for name in SHOWN)
    for name in SHOWN:
        setattr(listing, name, getattr(fields, name))
    listing.labels = labels
    if listing.status in (ListingStatus.ON_SALE, ListingStatus.PENDING) and changed:
        check_publishable(*_texts(listing))
        listing.status = ListingStatus.PENDING
        listing.price_flagged = price_far_above_median(listing)
    db.session.flush()
    pagecache.changed("market", listing.origin_code, *old_origin)
    record("market.listing_save", user, "market_listing", listing.id, listing.origin_code)
    indexing.reindex([listing])
    db.session.commit()
    return listing


def _texts(listing: Listing) -> list[str]:
    return [listing.name, listing.variety, listing.spec, listing.stock, listing.shelf_life,
            listing.description_md]


def price_far_above_median(listing: Listing) -> bool:
    """True when the price is more than ``MARKET_PRICE_FLAG_RATIO`` times the median of the
    category's listings on sale with the same unit (needs ``MARKET_PRICE_FLAG_MIN`` of them)."""
    rows = db.session.execute(select(Listing.price).where(
        Listing.category == listing.category, Listing.unit == listing.unit,
        Listing.status == ListingStatus.ON_SALE, Listing.id != (listing.id or 0))).scalars()
    prices = list(rows)
    if len(prices) < current_app.config.get("MARKET_PRICE_FLAG_MIN", 3):
        return False
    median = Decimal(statistics.median(prices))
    ratio = Decimal(str(current_app.config.get("MARKET_PRICE_FLAG_RATIO", 3)))
    return listing.price > median * ratio


def submit_listing(user: User, listing: Listing) -> Listing:
    """草稿 → 在售 for a verified seller; → 待审核 when the seller is not verified yet, the
    price is flagged, or the listing was on sale before (taking it down, editing it and
    putting it back is an edit, reviewed like one).

    :raise PersonalDataFound: the text holds an ID, mobile or card number.
    :raise MarketError: wrong state, or no photo.
    """
    own_listing(user, listing)
    if listing.status not in (ListingStatus.DRAFT, ListingStatus.OFF):
        raise MarketError("只有草稿或已下架的产品可以提交")
    if listing.status == ListingStatus.OFF and listing.takedown_reason.startswith("[staff]"):
        raise MarketError("这个产品被工作人员下架，请修改后联系县扶贫办")
    check_publishable(*_texts(listing))
    listing.price_flagged = price_far_above_median(listing)
    if listing.seller.verified and not listing.price_flagged and listing.published_at is None:
        _go_live(listing)
    else:
        listing.status = ListingStatus.PENDING
    listing.takedown_reason = ""
    pagecache.changed("market", listing.origin_code)
    record("market.listing_submit", user, "market_listing", listing.id, listing.origin_code,
           listing.status.value)
    indexing.reindex([listing])
    db.session.commit()
    return listing


def _go_live(listing: Listing) -> None:
    listing.status = ListingStatus.ON_SALE
    listing.published_at = listing.published_at or utcnow()


def _check_staff(staff: Visitor, listing: Listing) -> None:
    if not _is_staff(staff):
        raise PermissionDenied("staff only")
    check_region(staff, listing.county_code)


def approve_listing(staff: User, listing: Listing) -> Listing:
    """待审核 → 在售 by staff of the origin's county.

    :raise MarketError: not waiting for review, the seller is not verified (the gate), or the
        seller has since moved out of the origin's county.
    """
    _check_staff(staff, listing)
    if listing.status != ListingStatus.PENDING:
        raise MarketError("只有待审核的产品可以通过")
    if not listing.seller.verified:
        raise MarketError("销售主体尚未核实，请先核实销售主体")
    if not codes.in_subtree(listing.origin_code, listing.seller.county_code):
        raise MarketError("产地不在销售主体经核实的县（区）范围内，请销售主体修改产地")
    check_publishable(*_texts(listing))
    _go_live(listing)
    listing.price_flagged = False
    pagecache.changed("market", listing.origin_code)
    record("market.listing_approve", staff, "market_listing", listing.id, listing.origin_code)
    indexing.reindex([listing])
    db.session.commit()
    return listing


def take_down(actor: User, listing: Listing, reason: str) -> Listing:
    """→ 已下架, by the seller (reason optional) or by staff of the origin's county (reason
    required)."""
    staff = _is_staff(actor)
    if staff:
        _check_staff(actor, listing)
        if not reason.strip():
            raise MarketError("请填写下架原因", "reason")
    else:
        own_listing(actor, listing)
    if listing.status not in (ListingStatus.PENDING, ListingStatus.ON_SALE):
        raise MarketError("这个产品不在售，也不在待审核")
    listing.status = ListingStatus.OFF
    text = reason.strip()[:450] or "销售主体自行下架"
    listing.takedown_reason = f"[staff] {text}" if staff else text
    pagecache.changed("market", listing.origin_code)
    record("market.listing_takedown", actor, "market_listing", listing.id, listing.origin_code,
           text)
    indexing.reindex([listing])
    db.session.commit()
    return listing


def certify(staff: Visitor, listing: Listing, certified: bool) -> Listing:
    """Set or clear the 扶贫产品 flag: staff of the origin's county only.

    :raise PermissionDenied: sellers, the public and other counties' staff.
    """
    _check_staff(staff, listing)
    if certified and not listing.seller.verified:
        raise MarketError("销售主体尚未核实，不能认定为扶贫产品")
    listing.certified = certified
    pagecache.changed("market", listing.origin_code)
    record("market.listing_certify" if certified else "market.listing_uncertify", staff,
           "market_listing", listing.id, listing.origin_code)
    indexing.reindex([listing])
    db.session.commit()
    return listing
