"""Services: states, the verification gate, the origin check, the price flag, certification."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.guard import PersonalDataFound
from sunshine.market import inquiries, mine, queries, services
from sunshine.market.models import ListingStatus, SellerKind, SellerStatus
from sunshine.regions.models import Region
from tests.conftest import OTHER_PREFIX, SAMPLE
from tests.market.conftest import VILLAGE, make_listing, make_seller

pytestmark = pytest.mark.postgres


def test_a_new_seller_waits_for_verification_and_their_listing_waits_too(users):
    seller = make_seller(users["seller"])
    assert seller.status == SellerStatus.PENDING
    assert seller.county_code == SAMPLE["county"]
    listing = make_listing(users["seller"])
    assert listing.status == ListingStatus.PENDING
    with pytest.raises(services.MarketError):
        services.approve_listing(users["county"], listing)
    services.verify_seller(users["county"], seller, True)
    services.approve_listing(users["county"], listing)
    assert listing.status == ListingStatus.ON_SALE and listing.published_at is not None


def test_a_verified_sellers_listing_goes_from_draft_to_on_sale_to_off(users, verified):
    listing = make_listing(users["seller"], submit=False)
    assert listing.status == ListingStatus.DRAFT
    services.submit_listing(users["seller"], listing)
    assert listing.status == ListingStatus.ON_SALE
    services.take_down(users["seller"], listing, "")
    assert listing.status == ListingStatus.OFF
    # Back on sale after a review: it may have been edited while off.
    services.submit_listing(users["seller"], listing)
    assert listing.status == ListingStatus.PENDING
    services.approve_listing(users["county"], listing)
    assert listing.status == ListingStatus.ON_SALE


def test_staff_takedown_needs_a_reason_and_is_audited(users, verified):
    listing = make_listing(users["seller"])
    with pytest.raises(services.MarketError):
        services.take_down(users["county"], listing, "  ")
    services.take_down(users["county"], listing, "图片与实物不符")
    assert listing.status == ListingStatus.OFF
    assert "图片与实物不符" in listing.takedown_reason
    actions = set(db.session.execute(select(AuditEntry.action)).scalars())
    assert {"market.seller_verify", "market.listing_takedown"} <= actions
    with pytest.raises(services.MarketError):
        services.submit_listing(users["seller"], listing)


def test_another_countys_staff_cannot_verify_approve_or_certify(users):
    seller = make_seller(users["seller"])
    listing = make_listing(users["seller"])
    with pytest.raises(services.PermissionDenied):
        services.verify_seller(users["other"], seller, True)
    with pytest.raises(services.PermissionDenied):
        services.approve_listing(users["other"], listing)
    with pytest.raises(services.PermissionDenied):
        services.certify(users["other"], listing, True)


def test_origin_must_be_in_the_sellers_county(users, verified, regions):
    other_village = f"{OTHER_PREFIX}101201"
    assert db.session.get(Region, other_village) is not None
    with pytest.raises(services.MarketError) as exc:
        make_listing(users["seller"], origin_code=other_village)
    assert exc.value.field == "origin_code"
    with pytest.raises(services.MarketError):
        make_listing(users["seller"], origin_code=SAMPLE["county"])  # a county, not a village


def test_only_staff_certify(users, verified):
    listing = make_listing(users["seller"])
    for who in ("seller", "donor"):
        with pytest.raises(services.PermissionDenied):
            services.certify(users[who], listing, True)
    services.certify(users["county"], listing, True)
    assert listing.certified


def test_a_seller_cannot_touch_another_sellers_listing(users, verified):
    make_seller(users["seller2"], verify_by=users["county"])
    listing = make_listing(users["seller"])
    with pytest.raises(services.PermissionDenied):
        services.save_listing(users["seller2"], services.ListingFields(
            name="x", category="果蔬", unit="斤", price=Decimal("1.00"), origin_code=VILLAGE),
            listing)
    with pytest.raises(services.PermissionDenied):
        services.take_down(users["seller2"], listing, "")
    with pytest.raises(services.PermissionDenied):
        services.submit_listing(users["seller2"], listing)


def test_a_price_far_above_the_category_median_is_flagged(users, verified):
    for price in ("8.00", "9.00", "10.00"):
        make_listing(users["seller"], price=Decimal(price))
    normal = make_listing(users["seller"], price=Decimal("12.00"))
    assert normal.status == ListingStatus.ON_SALE and not normal.price_flagged
    dear = make_listing(users["seller"], price=Decimal("99.00"))
    assert dear.status == ListingStatus.PENDING and dear.price_flagged
    other_unit = make_listing(users["seller"], price=Decimal("99.00"), unit="箱")
    assert other_unit.status == ListingStatus.ON_SALE


def test_publish_guard_refuses_a_phone_number_in_the_description(users, verified):
    listing = make_listing(users["seller"], submit=False,
                           description_md="联系电话 13912345678")
    with pytest.raises(PersonalDataFound):
        services.submit_listing(users["seller"], listing)


@pytest.mark.parametrize("text", ["-1", "0", "0.00", "NaN", "nan", "1e309", "Infinity",
                                  "１００", "1.234", "12.000000000001", "", " ", "1,000",
                                  "99999999999"])
def test_bad_prices_are_refused(text):
    with pytest.raises(services.MarketError):
        services.parse_price(text)


def test_good_prices_are_exact_decimals():
    assert services.parse_price("12.5") == Decimal("12.50")
    assert services.parse_price(" 100 ") == Decimal("100.00")


def test_inquiries_go_to_the_seller_only(users, verified):
    other = make_seller(users["seller2"], verify_by=users["county"])
    listing = make_listing(users["seller"])
    inquiry = inquiries.send_inquiry(listing, "50斤", "buyer@example.org", "能送到南宁吗")
    assert [(i.id, i.contact) for i in mine.inquiries(verified.id)] == [
        (inquiry.id, "buyer@example.org")]
    assert mine.inquiries(other.id) == []
    with pytest.raises(services.PermissionDenied):
        inquiries.answer_inquiry(users["seller2"], inquiry, "可以")
    inquiries.answer_inquiry(users["seller"], inquiry, "可以，包邮")
    assert inquiry.replied_at is not None


def test_no_inquiry_to_a_listing_not_on_sale(users):
    make_seller(users["seller"])
    listing = make_listing(users["seller"])
    with pytest.raises(services.MarketError):
        inquiries.send_inquiry(listing, "1", "x", "")


@pytest.mark.postgres  # the list's statements take their filters as parameters
def test_the_list_filters_sorts_and_pages(users, verified):
    make_listing(users["seller"], name="茶", category="茶叶", unit="盒", price=Decimal("80"),
                 labels=["有机"])
    apple = make_listing(users["seller"], name="沃柑", price=Decimal("5"))
    services.certify(users["county"], apple, True)

    def names(**kw: object) -> list[str]:
        return [x.name for x in queries.card_rows(queries.Filters(**kw), 100)]

    assert names(category="茶叶") == ["茶"]
    assert names(label="有机") == ["茶"]
    assert names(certified=True) == ["沃柑"]
    assert names(max_price=Decimal("10")) == ["沃柑"]
    assert names(sort="price") == ["沃柑", "茶"]
    assert names(county=SAMPLE["other_county"]) == []
    assert set(names(county=SAMPLE["county"])) == {"茶", "沃柑"}
    assert names(sort="price_desc", min_price=Decimal("5")) == ["茶", "沃柑"]
    assert names(min_price=Decimal("10"), label="有机", county=SAMPLE["county"]) == ["茶"]
    assert names(sort="newest' OR 1=1") == names()  # an unknown sort is the default
    page = queries.card_page(queries.Filters(sort="price"), 2, 1)
    assert ([x.name for x in page.items], page.total, page.pages) == (["茶"], 2, 2)
    assert page.has_prev and not page.has_next


def test_a_seller_profile_with_a_mobile_number_is_refused(users, regions):
    with pytest.raises(PersonalDataFound):
        services.save_seller(users["seller"], services.SellerFields(
            name="合作社", kind=SellerKind.COOPERATIVE, village_code=VILLAGE,
            poverty_link="联系 13912345678"))
