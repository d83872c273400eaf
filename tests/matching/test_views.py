"""Public pages, the API and the back office: filters, order, pages, CSV, the pledge form with
its 409, the donor's page, the slip confirmation, the thanks wall, region scoping."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.matching import delivery, needs, pledges
from sunshine.matching.models import Need, NeedState, Pledge, PledgeState
from sunshine.regions.models import Region
from tests.conftest import SAMPLE, apply_search
from tests.matching.conftest import HOUSEHOLD, make_need


def get(model: type, ident: int) -> object:
    """A row as the database has it now (requests ran in their own sessions)."""
    db.session.expire_all()
    return db.session.get(model, ident)


def test_empty_list_shows_an_empty_state(client, regions):
    page = client.get("/help/")
    assert page.status_code == 200
    assert "没有符合条件的帮扶需求" in page.get_data(as_text=True)
    assert "本站不经手任何钱款" in page.get_data(as_text=True)


def test_list_order_filters_pages_and_csv(app, client, users):
    app.config["PAGE_SIZE"] = 2
    soon = date.today() + timedelta(days=5)
    make_need(users, title="一般的需求", urgency=3, deadline=soon)
    make_need(users, title="紧急但不急着截止", urgency=1, deadline=soon + timedelta(days=20))
    make_need(users, title="紧急且快截止", urgency=1, deadline=soon, category="助医")
    make_need(users, publish=False, title="草稿不公开")
    text = client.get("/help/").get_data(as_text=True)
    assert text.index("紧急且快截止") < text.index("紧急但不急着截止")
    assert "一般的需求" not in text and "第 1 / 2 页" in text and "草稿不公开" not in text
    assert "一般的需求" in client.get("/help/?page=2").get_data(as_text=True)
    text = client.get("/help/?category=助医").get_data(as_text=True)
    assert "紧急且快截止" in text and "一般的需求" not in text
    assert "一般的需求" in client.get("/help/?urgency=3").get_data(as_text=True)
    other = client.get(f"/help/?region={SAMPLE['other_county']}").get_data(as_text=True)
    assert "没有符合条件" in other
    assert "紧急" in client.get(f"/help/?region={SAMPLE['town']}").get_data(as_text=True)
    assert "没有符合条件" in client.get("/help/?state=closed").get_data(as_text=True)
    for junk in ("?page=-1", "?region=abc", "?urgency=%FF", "?state=draft", "?category=x"):
        assert client.get("/help/" + junk).status_code == 200, junk
    assert "草稿不公开" not in client.get("/help/?state=draft").get_data(as_text=True)
    response = client.get("/help/export.csv?urgency=1")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["编号", "标题", "类别"] and len(rows) == 3
    assert rows[1][1] == "紧急且快截止" and rows[1][7] == "10 套"


def test_csv_cells_never_run_as_formulas(client, users):
    make_need(users, title="=HYPERLINK(\"http://x\")")
    body = client.get("/help/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_detail_shows_progress_items_history_and_a_login_prompt(client, users):
    need = make_need(users)
    pledges.pledge(users["donor"], need.id, need.items[0].id, 4,
                   pledges.PledgeDetails(display_name="张善人"))
    text = client.get(f"/help/{need.id}").get_data(as_text=True)
    assert '<progress max="100" value="40" aria-label="认领进度">' in text
    assert "已认领 40%" in text and "6 套" in text
    assert "登录后认领" in text and f"/login?next=/help/{need.id}" in text
    assert "张善人认领了 冬季校服 4 套" in text and "经核实后发布" in text
    assert client.get(f"/help/{need.id + 99}").status_code == 404
    draft = make_need(users, publish=False)
    assert client.get(f"/help/{draft.id}").status_code == 404


def test_pledge_over_http_and_the_sold_out_answer(client_for, users):
    need = make_need(users)
    donor = client_for("donor-a")
    page = donor.get(f"/help/{need.id}").get_data(as_text=True)
    assert "确认认领" in page and 'value="张善人"' in page
    response = donor.post(f"/help/{need.id}/pledge", data={
        "item": str(need.items[0].id), "quantity": "10", "donor_kind": "person",
        "display_name": "张善人", "contact": "微信 zsr"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/help/mine")
    mine = donor.get("/help/mine").get_data(as_text=True)
    assert "认领成功" in mine and "冬季校服 10 套" in mine and "已认领（保留中）" in mine
    other = client_for("donor-b")
    response = other.post(f"/help/{need.id}/pledge", data={
        "item": str(need.items[0].id), "quantity": "1", "donor_kind": "org"})
    assert response.status_code == 409
    assert "已认领完" in response.get_data(as_text=True)
    response = other.post(f"/help/{need.id}/pledge", data={"quantity": "abc",
                                                            "donor_kind": "person"})
    assert response.status_code in (400, 409)


def test_pledge_needs_a_donor_account(client, client_for, users):
    need = make_need(users)
    response = client.post(f"/help/{need.id}/pledge", data={"quantity": "1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    staff = client_for("staff-town")
    assert staff.post(f"/help/{need.id}/pledge", data={"quantity": "1"}).status_code == 403
    assert "只有爱心人士账号可以认领" in staff.get(f"/help/{need.id}").get_data(as_text=True)
    assert client.get("/help/mine").status_code == 302


def test_money_pledge_and_cancel_from_my_page(client_for, users):
    need = make_need(users, items=[], amount=Decimal("500"))
    donor = client_for("donor-a")
    for bad in ("-1", "1e3", "１００", "12.345", "0"):
        response = donor.post(f"/help/{need.id}/pledge", data={"amount": bad,
                                                                "donor_kind": "person"})
        assert response.status_code == 400, bad
        assert "金额" in response.get_data(as_text=True)
    response = donor.post(f"/help/{need.id}/pledge", data={"amount": "200.50",
                                                            "donor_kind": "person",
                                                            "anonymous": "y"})
    assert response.status_code == 303
    made = db.session.scalar(select(Pledge))
    assert made.quantity == 20050 and made.display_name == "爱心人士"
    other = client_for("donor-b")
    assert other.post(f"/help/mine/{made.id}/cancel").status_code == 404
    response = donor.post(f"/help/mine/{made.id}/cancel")
    assert response.status_code == 303
    assert get(Pledge, made.id).state == PledgeState.CANCELLED


def test_confirm_page_accepts_the_slip_code_once(client, users):
    need = make_need(users)
    made = pledges.pledge(users["donor"], need.id, need.items[0].id, 2, pledges.PledgeDetails())
    code = delivery.record_delivery(users["town"], made)
    assert client.get("/help/confirm").status_code == 200
    wrong = client.post("/help/confirm", data={"code": "1234 5678 9012"})
    assert wrong.status_code == 400 and "确认码不正确" in wrong.get_data(as_text=True)
    right = client.post("/help/confirm", data={"code": code})
    assert right.status_code == 200 and "已确认收到" in right.get_data(as_text=True)
    again = client.post("/help/confirm", data={"code": code})
    assert again.status_code == 400 and "确认码不正确" in again.get_data(as_text=True)


def test_thanks_wall_and_totals(client, users):
    need = make_need(users, items=[needs.ItemFields("棉被", 2, "床")])
    money = make_need(users, items=[], amount=Decimal("300"))
    for n, units in ((need, 2), (money, 30000)):
        made = pledges.pledge(users["donor"], n.id, n.items[0].id, units,
                              pledges.PledgeDetails(display_name="张善人"))
        delivery.record_delivery(users["town"], made)
        delivery.countersign(users["county"], get(Pledge, made.id))
    needs.thank(users["town"], get(Need, need.id), "谢谢好心人送来的棉被")
    text = client.get("/help/thanks").get_data(as_text=True)
    assert "谢谢好心人送来的棉被" in text and "感谢：张善人" in text
    assert "2 项" in text and "1 位" in text and "2 件" in text and "300.00 元" in text
    city = db.session.get(Region, SAMPLE["city"])
    assert city is not None and city.name in text  # the province's table has a row per city
    county = client.get(f"/help/thanks?region={SAMPLE['county']}").get_data(as_text=True)
    assert "谢谢好心人" in county
    other = client.get(f"/help/thanks?region={SAMPLE['other_county']}").get_data(as_text=True)
    assert "谢谢好心人" not in other and "这里还没有致谢" in other
    assert client.get("/help/thanks?region=%FF").status_code == 200


def test_thanks_figures_follow_each_confirmation_without_the_page_cache(app, client, users):
    """The wall's sums are kept per worker between writes: each confirmation shows at once,
    in the province's figures and in its county's."""
    app.config["PAGE_CACHE"] = False
    need = make_need(users, items=[needs.ItemFields("棉被", 3, "床")])
    county = f"/help/thanks?region={SAMPLE['county']}"
    assert "0 件" in client.get("/help/thanks").get_data(as_text=True)
    assert "0 件" in client.get(county).get_data(as_text=True)
    for units in (1, 2):
        made = pledges.pledge(users["donor"], need.id, need.items[0].id, units,
                              pledges.PledgeDetails(display_name="张善人"))
        delivery.record_delivery(users["town"], made)
        delivery.countersign(users["county"], get(Pledge, made.id))
        sent = 1 if units == 1 else 3
        assert f"{sent} 件" in client.get("/help/thanks").get_data(as_text=True)
        assert f"{sent} 件" in client.get(county).get_data(as_text=True)


def test_api_lists_and_describes_needs(client, users):
    need = make_need(users)
    money = make_need(users, items=[], amount=Decimal("1200"))
    pledges.pledge(users["donor"], money.id, money.items[0].id, 50000, pledges.PledgeDetails())
    data = client.get("/api/v1/needs?state=all").get_json()
    assert data["total"] == 2 and data["page"] == 1 and data["per_page"] == 50
    one = client.get(f"/api/v1/needs/{money.id}").get_json()
    assert one["amount"] == {"needed": "1200.00", "pledged": "500.00", "remaining": "700.00"}
    assert one["kind"] == "amount" and one["pledges"][0]["quantity"] == "500.00"
    goods = client.get(f"/api/v1/needs/{need.id}").get_json()
    assert goods["items"][0]["needed"] == 10 and goods["items"][0]["estimated_price"] == "120.00"
    assert goods["quantity"] == {"needed": 10, "pledged": 0, "remaining": 10}
    assert client.get("/api/v1/needs/999").status_code == 404
    assert "error" in client.get("/api/v1/needs/999").get_json()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/needs" in spec["paths"] and "/api/v1/needs/{id}" in spec["paths"]


def test_search_sitemap_and_home_link(app, client, users):
    from sunshine.search.index import rebuild

    need = make_need(users, title="屋顶漏雨需要石棉瓦")
    rebuild(app.config["SEARCH_INDEX_DIR"])
    assert f"/help/{need.id}" in client.get("/search?q=石棉瓦").get_data(as_text=True)
    needs.withdraw(users["town"], get(Need, need.id), "已解决")
    apply_search(app)
    assert f"/help/{need.id}" not in client.get("/search?q=石棉瓦").get_data(as_text=True)
    other = make_need(users, title="需要石棉瓦修屋顶")
    assert f"/help/{other.id}" in client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/help/{need.id}" not in client.get("/sitemap.xml").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/help/"' in home
    assert "建设中" not in client.get("/help/").get_data(as_text=True)


# --- the back office ---------------------------------------------------------------------------


def new_need_data(**overrides: str) -> dict[str, str]:
    data = {"household_id": f"{HOUSEHOLD:016d}", "category": "助学", "title": "需要书包",
            "story": "孩子的书包破了。", "kind": "items", "urgency": "2",
            "deadline": (date.today() + timedelta(days=20)).isoformat(),
            "items-0-name": "书包", "items-0-quantity": "2", "items-0-unit": "个",
            "items-0-price": "80"}
    data.update(overrides)
    return data


def test_staff_create_submit_verify_and_handle_a_need(client_for, users):
    town = client_for("staff-town")
    assert town.get("/admin/matching/new").status_code == 200
    response = town.post("/admin/matching/new", data=new_need_data(story="覃秀兰的孩子"))
    assert response.status_code == 302
    need = db.session.scalar(select(Need))
    page = town.get(f"/admin/matching/{need.id}").get_data(as_text=True)
    assert "覃*兰（本户成员）" in page and "提交审核" in page
    assert town.post(f"/admin/matching/{need.id}/edit",
                     data=new_need_data(story="孩子的书包破了")).status_code == 302
    assert town.post(f"/admin/matching/{need.id}/submit").status_code == 302
    assert "核实无误" not in town.get(f"/admin/matching/{need.id}").get_data(as_text=True)
    county = client_for("staff-county")
    assert "需要书包" in county.get("/admin/matching/").get_data(as_text=True)
    assert county.post(f"/admin/matching/{need.id}/verify").status_code == 302
    assert get(Need, need.id).state == NeedState.PUBLISHED
    made = pledges.pledge(users["donor"], need.id, need.items[0].id, 2,
                          pledges.PledgeDetails(contact="微信 donor-a-secret"))
    page = town.get(f"/admin/matching/{need.id}").get_data(as_text=True)
    assert "donor-a-secret" not in page and "donor-a@example.cn" not in page
    page = town.post(f"/admin/matching/{need.id}/contacts").get_data(as_text=True)
    assert "donor-a-secret" in page and "donor-a@example.cn" in page
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "matching.contacts_view")) is not None
    slip = town.post(f"/admin/matching/pledges/{made.id}/deliver")
    assert slip.status_code == 200 and "爱心帮扶送达单" in slip.get_data(as_text=True)
    assert "覃" not in slip.get_data(as_text=True)
    refused = town.post(f"/admin/matching/pledges/{made.id}/countersign")
    assert refused.status_code == 400 and "另一名工作人员" in refused.get_data(as_text=True)
    assert get(Pledge, made.id).state == PledgeState.DELIVERED
    assert county.post(f"/admin/matching/pledges/{made.id}/countersign").status_code == 302
    assert get(Pledge, made.id).state == PledgeState.CONFIRMED
    assert town.post(f"/admin/matching/{need.id}/thanks",
                     data={"note": "谢谢"}).status_code == 302
    assert town.post(f"/admin/matching/{need.id}/close").status_code == 302
    assert get(Need, need.id).state == NeedState.CLOSED


def test_back_office_is_region_scoped(client_for, users):
    need = make_need(users)
    other = client_for("staff-other")
    assert other.get(f"/admin/matching/{need.id}").status_code == 403
    assert other.post(f"/admin/matching/{need.id}/withdraw",
                      data={"reason": "x"}).status_code == 403
    assert "冬季校服" not in other.get("/admin/matching/").get_data(as_text=True)
    response = other.post("/admin/matching/new", data=new_need_data())
    assert response.status_code == 400 and "不在您负责的区划内" in response.get_data(as_text=True)
    donor = client_for("donor-a")
    assert donor.get("/admin/matching/").status_code == 403
    assert client_for("root-admin").get("/admin/matching/new").status_code == 403


def test_withdraw_needs_a_reason_and_hides_the_need(client, client_for, users):
    need = make_need(users)
    town = client_for("staff-town")
    response = town.post(f"/admin/matching/{need.id}/withdraw", data={"reason": ""})
    assert response.status_code == 400 and "请填写撤回原因" in response.get_data(as_text=True)
    assert town.post(f"/admin/matching/{need.id}/withdraw",
                     data={"reason": "已解决"}).status_code == 302
    assert client.get(f"/help/{need.id}").status_code == 404


def test_photos_need_recorded_consent_and_lose_their_metadata(client, client_for, users):
    import io

    from PIL import Image

    from sunshine.matching.models import NeedPhoto
    from tests.images import jpeg_with_gps

    need = make_need(users, publish=False)
    town = client_for("staff-town")
    url = f"/admin/matching/{need.id}/photos"
    upload = {"photos": (io.BytesIO(jpeg_with_gps()), "p.jpg"), "consent": ""}
    response = town.post(url, data=upload, content_type="multipart/form-data")
    assert response.status_code == 400 and "请记录受助户的同意" in response.get_data(as_text=True)
    bad = {"photos": (io.BytesIO(b"not an image"), "p.jpg"), "consent": "户主书面同意",
           "confirmed": "y"}
    assert town.post(url, data=bad, content_type="multipart/form-data").status_code == 415
    good = {"photos": (io.BytesIO(jpeg_with_gps()), "p.jpg"), "consent": "户主书面同意",
            "confirmed": "y"}
    assert town.post(url, data=good, content_type="multipart/form-data").status_code == 302
    photo = db.session.scalar(select(NeedPhoto))
    assert photo.consent == "户主书面同意"
    assert client.get(f"/help/photos/{photo.id}/full").status_code == 404  # a draft's photo
    with town.get(f"/help/photos/{photo.id}/full") as stored:
        assert stored.status_code == 200 and stored.cache_control.private
        with Image.open(io.BytesIO(stored.data)) as image:
            assert not image.getexif()
    needs.submit(users["town"], get(Need, need.id))
    needs.verify(users["county"], get(Need, need.id))
    with client.get(f"/help/photos/{photo.id}/thumb") as thumb:
        assert thumb.status_code == 200 and not thumb.cache_control.private
    assert f"/help/photos/{photo.id}/thumb" in client.get(f"/help/{need.id}").get_data(
        as_text=True)
