"""What the public reads of the market is what staff passed: a refused seller's products come
off sale, a seller verified again waits with them, an edit to a product on sale goes back to
review, and the staff of the origin's county act on a listing wherever its seller moved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sunshine.extensions import db
from sunshine.market import photos, queries, services
from sunshine.market.models import ListingStatus, SellerKind, SellerStatus
from tests.conftest import OTHER_PREFIX, SAMPLE
from tests.images import jpeg_with_gps
from tests.market.conftest import VILLAGE, listing_fields, make_listing

pytestmark = pytest.mark.postgres

OTHER_VILLAGE = f"{OTHER_PREFIX}101201"


def _public_names() -> list[str]:
    return [x.name for x in queries.card_rows(queries.Filters(), 1000)]


def _move(user, village: str, kind: SellerKind = SellerKind.COOPERATIVE) -> None:
    services.save_seller(user, services.SellerFields(
        name="绿源种植专业合作社", kind=kind, village_code=village))


def test_refusing_a_seller_takes_its_listings_off_sale_and_off_the_queue(client, users,
                                                                         verified):
    on_sale = make_listing(users["seller"], name="沃柑")
    services.certify(users["county"], on_sale, True)
    waiting = make_listing(users["seller"], submit=False, name="腊肉")
    services.submit_listing(users["seller"], waiting)
    services.take_down(users["seller"], waiting, "")
    services.submit_listing(users["seller"], waiting)
    assert waiting.status == ListingStatus.PENDING
    services.verify_seller(users["county"], verified, False, "营业执照与名称不符")
    for listing in (on_sale, waiting):
        assert listing.status == ListingStatus.OFF and not listing.certified
        assert "销售主体未通过核实：营业执照与名称不符" in listing.takedown_reason
        assert client.get(f"/market/{listing.id}").status_code == 404
    assert _public_names() == []
    # Putting one back needs the seller verified first.
    services.submit_listing(users["seller"], on_sale)
    assert on_sale.status == ListingStatus.PENDING
    with pytest.raises(services.MarketError):
        services.approve_listing(users["county"], on_sale)


def test_a_refused_seller_who_edits_the_profile_applies_again(users, verified):
    services.verify_seller(users["county"], verified, False, "材料不全")
    services.save_seller(users["seller"], services.SellerFields(
        name="绿源种植专业合作社", kind=SellerKind.COOPERATIVE, village_code=VILLAGE,
        licence="93450000MA1234567", poverty_link="吸纳贫困户务工，补齐材料"))
    assert verified.status == SellerStatus.PENDING


def test_a_seller_verified_again_waits_with_its_listings(users, verified):
    listing = make_listing(users["seller"], name="沃柑")
    _move(users["seller"], VILLAGE, SellerKind.COMPANY)
    assert verified.status == SellerStatus.PENDING
    assert listing.status == ListingStatus.PENDING and _public_names() == []
    with pytest.raises(services.MarketError):
        services.approve_listing(users["county"], listing)
    services.verify_seller(users["county"], verified, True)
    services.approve_listing(users["county"], listing)
    assert _public_names() == ["沃柑"]


def test_an_edit_to_a_listing_on_sale_goes_back_to_review(client, users, verified):
    listing = make_listing(users["seller"], name="沃柑")
    services.certify(users["county"], listing, True)
    services.save_listing(users["seller"], listing_fields(name="沃柑"), listing)
    assert listing.status == ListingStatus.ON_SALE  # saved unchanged: nothing to review
    services.save_listing(users["seller"], listing_fields(
        name="沃柑", description_md="**官方认定扶贫产品** 假一赔十"), listing)
    assert listing.status == ListingStatus.PENDING
    assert client.get(f"/market/{listing.id}").status_code == 404 and _public_names() == []
    services.approve_listing(users["county"], listing)
    services.save_listing(users["seller"], listing_fields(name="沃柑", price=Decimal("9.90")),
                          listing)
    assert listing.status == ListingStatus.PENDING
    services.approve_listing(users["county"], listing)
    # Off, edited and put back: reviewed like any edit.
    services.take_down(users["seller"], listing, "")
    services.save_listing(users["seller"], listing_fields(name="沃柑（特级）"), listing)
    services.submit_listing(users["seller"], listing)
    assert listing.status == ListingStatus.PENDING


def test_new_photos_of_a_listing_on_sale_go_back_to_review(users, verified):
    listing = make_listing(users["seller"])
    photos.add_photos(users["seller"], listing, [jpeg_with_gps()])
    assert listing.status == ListingStatus.PENDING


def test_the_staff_of_the_origins_county_act_on_a_listing(client_for, users, verified):
    listing = make_listing(users["seller"], name="沃柑")
    _move(users["seller"], OTHER_VILLAGE)  # the seller moves to the other county
    assert verified.county_code == SAMPLE["other_county"]
    origin_staff, seller_staff = client_for("staff-county"), client_for("staff-other")
    assert origin_staff.get(f"/admin/market/listings/{listing.id}").status_code == 200
    assert "沃柑" in origin_staff.get("/admin/market/").get_data(as_text=True)
    assert seller_staff.get(f"/admin/market/listings/{listing.id}").status_code == 403
    assert "沃柑" not in seller_staff.get("/admin/market/").get_data(as_text=True)
    services.verify_seller(users["other"], verified, True)
    # Its origin is no longer in the seller's county: the origin's staff may not pass it …
    with pytest.raises(services.MarketError):
        services.approve_listing(users["county"], listing)
    with pytest.raises(services.PermissionDenied):
        services.take_down(users["other"], listing, "产地不符")
    # … and take it down.
    taken = origin_staff.post(f"/admin/market/listings/{listing.id}",
                              data={"action": "takedown", "reason": "产地已不在本县"})
    assert taken.status_code == 302
    db.session.refresh(listing)
    assert listing.status == ListingStatus.OFF
