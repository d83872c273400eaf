"""Another county's staff get 403 on every /admin/market URL; sellers keep to their own."""

from __future__ import annotations

import pytest

from sunshine.extensions import db
from sunshine.market import inquiries
from sunshine.market.models import Inquiry
from tests.market.conftest import make_listing, make_seller


@pytest.fixture
def objects(users, verified):
    make_seller(users["seller2"], verify_by=users["county"])
    listing = make_listing(users["seller"])
    inquiry = inquiries.send_inquiry(listing, "1", "buyer-contact", "")
    return {"seller": verified, "listing": listing, "inquiry": inquiry}


def test_other_countys_staff_get_403_everywhere(client_for, objects):
    other = client_for("staff-other")
    s, li = objects["seller"].id, objects["listing"].id
    assert other.get("/admin/market/").status_code == 200  # their own, empty, region
    assert "绿源" not in other.get("/admin/market/").get_data(as_text=True)
    for method, url, data in [
        ("get", f"/admin/market/sellers/{s}", None),
        ("post", f"/admin/market/sellers/{s}", {"action": "verify"}),
        ("get", f"/admin/market/listings/{li}", None),
        ("post", f"/admin/market/listings/{li}", {"action": "certify"}),
        ("post", f"/admin/market/listings/{li}", {"action": "takedown", "reason": "x"}),
        ("post", f"/admin/market/listings/{li}/inquiries", {}),
    ]:
        response = getattr(other, method)(url, data=data)
        assert response.status_code == 403, url


def test_sellers_and_the_public_cannot_use_the_back_office(client, client_for, objects):
    li = objects["listing"].id
    coop = client_for("coop")
    assert coop.get("/admin/market/").status_code == 403
    assert coop.post(f"/admin/market/listings/{li}", data={"action": "certify"}).status_code \
        == 403
    assert client.get("/admin/market/").status_code in (302, 401)


def test_a_seller_cannot_touch_another_sellers_listing(client_for, objects):
    li = objects["listing"].id
    other = client_for("coop2")
    assert other.get(f"/market/my/{li}/edit").status_code == 403
    assert other.post(f"/market/my/{li}/edit", data={"name": "x"}).status_code == 403
    assert other.post(f"/market/my/{li}/withdraw").status_code == 403
    assert other.post(f"/market/my/{li}/submit").status_code == 403
    assert other.post(f"/market/my/{li}/photos", data={}).status_code == 403
    assert other.get(f"/market/my/inquiries/{objects['inquiry'].id}").status_code == 403


def test_county_staff_see_inquiries_and_the_view_is_logged(client_for, objects):
    from sqlalchemy import select

    from sunshine.audit import AuditEntry

    staff = client_for("staff-county")
    li = objects["listing"].id
    assert "buyer-contact" not in staff.get(f"/admin/market/listings/{li}").get_data(
        as_text=True)
    page = staff.post(f"/admin/market/listings/{li}/inquiries").get_data(as_text=True)
    assert "buyer-contact" in page
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "market.inquiries_view")) is not None
    assert db.session.get(Inquiry, objects["inquiry"].id) is not None


def test_a_seller_cannot_answer_another_sellers_inquiry(client_for, objects):
    other = client_for("coop2")
    inquiry = objects["inquiry"]
    assert other.post(f"/market/my/inquiries/{inquiry.id}",
                      data={"reply": "冒充答复"}).status_code == 403
    db.session.refresh(inquiry)
    assert inquiry.reply == "" and inquiry.replied_at is None


def test_a_listing_or_inquiry_that_does_not_exist_is_a_404(client_for, objects):
    coop = client_for("coop")
    missing = objects["listing"].id + 100
    assert coop.get(f"/market/my/{missing}/edit").status_code == 404
    assert coop.post(f"/market/my/{missing}/edit", data={"name": "x"}).status_code == 404
    assert coop.get(f"/market/my/inquiries/{objects['inquiry'].id + 100}").status_code == 404
