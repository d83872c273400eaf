"""Public pages and the seller's pages: filters, pages, empty state, inquiries, the flow."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.market import photos
from sunshine.market.models import Inquiry, Listing, ListingStatus, Seller
from tests.conftest import SAMPLE, apply_search
from tests.images import jpeg_with_gps
from tests.market.conftest import VILLAGE, make_listing, make_seller


def test_empty_market_shows_an_empty_state(client, regions):
    page = client.get("/market/")
    assert page.status_code == 200
    assert "没有符合条件的农产品" in page.get_data(as_text=True)


def test_filters_sort_and_pages(app, client, users, verified):
    app.config["PAGE_SIZE"] = 2
    make_listing(users["seller"], name="六堡茶", category="茶叶", unit="盒", price=Decimal("80"))
    make_listing(users["seller"], name="沃柑", price=Decimal("5"), labels=["绿色"])
    make_listing(users["seller"], name="百香果", price=Decimal("9"))
    text = client.get("/market/?category=茶叶").get_data(as_text=True)
    assert "六堡茶" in text and "沃柑" not in text
    text = client.get("/market/?label=绿色").get_data(as_text=True)
    assert "沃柑" in text and "百香果" not in text
    text = client.get("/market/?sort=price").get_data(as_text=True)
    assert text.index("沃柑") < text.index("百香果") and "六堡茶" not in text
    assert "第 1 / 2 页" in text
    text = client.get("/market/?sort=price&page=2").get_data(as_text=True)
    assert "六堡茶" in text
    text = client.get("/market/?min_price=10&max_price=100").get_data(as_text=True)
    assert "六堡茶" in text and "沃柑" not in text
    assert client.get("/market/?min_price=１００&county=x&page=-1").status_code == 200


def test_detail_links_origin_and_seller(client, users, verified):
    listing = make_listing(users["seller"])
    text = client.get(f"/market/{listing.id}").get_data(as_text=True)
    assert f'href="/stats/{VILLAGE}"' in text
    assert f"/market/sellers/{verified.id}" in text
    assert "<strong>新鲜</strong>" in text
    assert client.get(f"/market/sellers/{verified.id}").status_code == 200


def test_a_description_cannot_fake_the_official_badge(client, users, verified):
    """Only staff certify a 扶贫产品: a seller's description cannot draw its badge."""
    listing = make_listing(users["seller"], description_md=(
        '<span class="badge badge-ok">扶贫产品</span>\n\n'
        "扶贫产品\n{: .badge .badge-ok }"))
    text = client.get(f"/market/{listing.id}").get_data(as_text=True)
    assert '<span class="badge badge-ok">' not in text and "&lt;span" in text
    api = client.get(f"/api/v1/products/{listing.id}").get_json()["description_html"]
    assert "<span" not in api and "&lt;span" in api


def test_listings_not_on_sale_are_not_public(client, users):
    seller = make_seller(users["seller"])
    listing = make_listing(users["seller"])
    assert listing.status == ListingStatus.PENDING
    assert client.get(f"/market/{listing.id}").status_code == 404
    assert client.get(f"/api/v1/products/{listing.id}").status_code == 404
    assert client.get(f"/market/sellers/{seller.id}").status_code == 404


def test_inquiry_goes_only_to_the_seller(client, client_for, users, verified):
    make_seller(users["seller2"], verify_by=users["county"])
    listing = make_listing(users["seller"])
    response = client.post(f"/market/{listing.id}/inquiry", data={
        "quantity": "100斤", "contact": "buyer-wechat-xyz", "message": "食堂采购"})
    assert response.status_code == 302
    inquiry = db.session.scalar(select(Inquiry))
    mine = client_for("coop")
    assert "100斤" in mine.get("/market/my/").get_data(as_text=True)
    assert "buyer-wechat-xyz" in mine.get(f"/market/my/inquiries/{inquiry.id}").get_data(
        as_text=True)
    other = client_for("coop2")
    assert other.get(f"/market/my/inquiries/{inquiry.id}").status_code == 403
    assert "buyer-wechat-xyz" not in other.get("/market/my/").get_data(as_text=True)
    answer = mine.post(f"/market/my/inquiries/{inquiry.id}", data={"reply": "可以供货"})
    assert answer.status_code == 302
    db.session.refresh(inquiry)
    assert inquiry.reply == "可以供货"


def test_inquiry_with_empty_fields_is_a_chinese_400(client, users, verified):
    listing = make_listing(users["seller"])
    response = client.post(f"/market/{listing.id}/inquiry", data={"quantity": "", "contact": ""})
    assert response.status_code == 400
    assert "请填写数量" in response.get_data(as_text=True)


def test_cooperative_registers_lists_and_is_verified(app, client_for, users, regions):
    coop = client_for("coop")
    assert coop.get("/market/my/").status_code == 302
    form = {"name": "壮乡合作社", "kind": "cooperative", "county": SAMPLE["county"],
            "village_code": VILLAGE, "poverty_link": "收购贫困户的百香果", "action": "save"}
    assert coop.post("/market/my/profile", data=form).status_code == 302
    seller = db.session.scalar(select(Seller))
    response = coop.post("/market/my/new", data={
        "name": "百香果", "category": "果蔬", "unit": "斤", "price": "8.80", "min_order": "5",
        "origin_code": VILLAGE, "labels": ["绿色"], "description_md": "酸甜可口"})
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = db.session.scalar(select(Listing))
    assert listing.price == Decimal("8.80") and listing.labels == "绿色"
    assert coop.post(f"/market/my/{listing.id}/submit").status_code == 302
    db.session.refresh(listing)
    assert listing.status == ListingStatus.PENDING
    staff = client_for("staff-county")
    page = staff.get("/admin/market/").get_data(as_text=True)
    assert "壮乡合作社" in page and "百香果" in page
    assert staff.post(f"/admin/market/sellers/{seller.id}",
                      data={"action": "verify", "reason": ""}).status_code == 302
    assert staff.post(f"/admin/market/listings/{listing.id}",
                      data={"action": "approve", "reason": ""}).status_code == 302
    assert staff.post(f"/admin/market/listings/{listing.id}",
                      data={"action": "certify", "reason": ""}).status_code == 302
    db.session.refresh(listing)
    assert listing.status == ListingStatus.ON_SALE and listing.certified
    anon = client_for("donor")
    assert "百香果" in anon.get("/market/?certified=1").get_data(as_text=True)
    apply_search(app)
    found = anon.get("/search?q=百香果").get_data(as_text=True)
    assert f"/market/{listing.id}" in found


def test_bad_price_in_the_form_is_a_chinese_400(client_for, users, verified):
    coop = client_for("coop")
    for price in ("-1", "NaN", "1e309", "１００", "1.234", "0"):
        response = coop.post("/market/my/new", data={
            "name": "米", "category": "粮油", "unit": "袋", "price": price, "min_order": "1",
            "origin_code": VILLAGE})
        assert response.status_code == 400, price
        assert "价格" in response.get_data(as_text=True)
    assert db.session.scalar(select(Listing)) is None


def test_api_and_csv(client, users, verified):
    make_listing(users["seller"], name="=HYPERLINK(\"x\")", price=Decimal("12.5"))
    data = client.get("/api/v1/products").get_json()
    assert set(data) == {"items", "page", "per_page", "total"} and data["total"] == 1
    item = data["items"][0]
    assert item["price"] == "12.50"
    one = client.get(f"/api/v1/products/{item['id']}").get_json()
    assert one["name"] == item["name"]
    assert client.get("/api/v1/products/99999").get_json() == {"error": "没有这个产品"}
    raw = client.get("/market/export.csv").get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1][1].startswith("'=")
    assert rows[1][6] == "12.50"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/products" in spec["paths"] and "/api/v1/products/{id}" in spec["paths"]


def test_sitemap_lists_products(client, users, verified):
    listing = make_listing(users["seller"])
    text = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/market/{listing.id}" in text


def test_home_page_links_the_market(client, regions):
    assert 'href="/market/"' in client.get("/").get_data(as_text=True)


def test_the_edit_page_shows_the_listing_as_saved(client_for, users, verified):
    listing = make_listing(users["seller"], submit=False, price=Decimal("12.5"), min_order=3,
                           labels=["有机"])
    [photo] = photos.add_photos(users["seller"], listing, [jpeg_with_gps()])
    coop = client_for("coop")
    page = coop.get(f"/market/my/{listing.id}/edit").get_data(as_text=True)
    assert 'value="12.50"' in page and 'id="min_order" inputmode="numeric"' in page
    assert '<input checked id="labels-1" name="labels" type="checkbox" value="有机">' in page
    assert f"/market/photos/{photo.id}/thumb" in page and "状态：草稿" in page
    refused = coop.post(f"/market/my/{listing.id}/photos", data={
        "photos": (io.BytesIO(b"not a photo"), "x.jpg")}, content_type="multipart/form-data")
    assert refused.status_code == 415
    again = refused.get_data(as_text=True)  # the form as saved, not as the upload sent it
    assert 'value="12.50"' in again and '<input checked id="labels-1"' in again


def test_the_profile_page_shows_the_profile_as_saved(client_for, users, verified):
    page = client_for("coop").get("/market/my/profile").get_data(as_text=True)
    assert 'value="绿源种植专业合作社"' in page and "吸纳贫困户务工" in page
    assert f'<option selected value="{SAMPLE["county"]}">' in page
    assert f'<option selected value="{VILLAGE}">' in page
    assert '<input checked id="kind-1" name="kind" required type="radio"' in page


def test_the_region_menus_list_the_county_villages_and_follow_the_region_tree(
        client_for, users, verified):
    from sunshine.regions.models import Region
    from sunshine.regions.services import tree_changed
    from tests.conftest import OTHER_PREFIX

    coop = client_for("coop")
    pick = {"name": "壮乡合作社", "kind": "cooperative", "county": SAMPLE["county"],
            "action": "pick"}
    page = coop.post("/market/my/profile", data=pick)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{VILLAGE}"' in html and f'value="{OTHER_PREFIX}101201"' not in html
    assert db.session.scalar(select(Seller.name)) == "绿源种植专业合作社"  # only listed
    assert "新建村" not in coop.get("/market/my/new").get_data(as_text=True)
    db.session.add(Region(code=VILLAGE[:9] + "299", name="新建村", level=5,
                          parent_code=VILLAGE[:9] + "000", synthetic=True))
    tree_changed()
    db.session.commit()
    assert "新建村" in coop.post("/market/my/profile", data=pick).get_data(as_text=True)
    assert f'value="{VILLAGE[:9]}299">' in coop.get("/market/my/new").get_data(as_text=True)
