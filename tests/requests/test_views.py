"""The public pages and the back office over HTTP: the form without scripts, the code shown
once, tracking and 补正 by code, the archive with its filters, CSV, feed and API, and the
handling steps with the logged view of who asked."""

from __future__ import annotations

import csv
import io

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.requests import handling
from sunshine.requests.models import InfoRequest, Outcome, Status
from tests.conftest import SAMPLE, code_from
from tests.requests.conftest import EMAIL, NAME, PHONE, file, form_data


def _only() -> InfoRequest:
    db.session.expire_all()
    return db.session.execute(select(InfoRequest)).scalar_one()


def test_the_form_asks_for_the_office_step_by_step_and_links_the_record(app, client,
                                                                        regions) -> None:
    page = client.get(f"/requests/new?about=/funds/7&region={SAMPLE['county']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'value="/funds/7"' in text and f'selected value="{SAMPLE["county"]}"' in text
    junk = client.get("/requests/new?about=https://evil.example/&region=../../etc")
    assert junk.status_code == 200 and "evil.example" not in junk.get_data(as_text=True)
    refined = client.post("/requests/new", data=form_data(app, county="", action="refine"))
    assert refined.status_code == 200 and "error-summary" not in refined.get_data(as_text=True)


def test_filing_shows_the_code_once_and_tracking_shows_the_clock(app, client, regions) -> None:
    response = client.post("/requests/new", data=form_data(app, about="/funds/7"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已收到您的申请" in page
    code = code_from(page)
    info = _only()
    assert info.office_region_code == SAMPLE["county"] and info.about == "/funds/7"
    assert not info.held
    tracked = client.post("/requests/track", data={"code": code.lower()})
    body = tracked.get_data(as_text=True)
    assert tracked.headers["Cache-Control"] == "no-store"
    assert "答复期限" in body and info.deadline.isoformat() in body and NAME not in body
    wrong = client.post("/requests/track", data={"code": "0000-0000-0000-0000"})
    junk = client.post("/requests/track", data={"code": "<script>"})
    assert wrong.status_code == junk.status_code == 200
    assert "没有找到这个查询码" in wrong.get_data(as_text=True)
    assert "没有找到这个查询码" in junk.get_data(as_text=True)


def test_a_fast_or_honeypot_filing_is_held(app, client, regions) -> None:
    client.post("/requests/new", data=form_data(app, started=""))
    assert _only().held


def test_the_applicant_amends_by_code(app, client, regions, users) -> None:
    info, code = file(now=None)
    handling.ask_amend(info, users["county"], "请写明是哪一个村")
    page = client.post("/requests/track", data={"code": code}).get_data(as_text=True)
    assert "请写明是哪一个村" in page and "提交补正" in page
    empty = client.post("/requests/track/amend", data={"amend-code": code, "amend-text": " "})
    assert empty.status_code == 400
    done = client.post("/requests/track/amend", data={"amend-code": code,
                                                      "amend-text": "是第一村"})
    assert done.status_code == 200 and _only().status is Status.RECEIVED
    stranger = client.post("/requests/track/amend", data={"amend-code": "0000000000000000",
                                                          "amend-text": "x"})
    assert "没有找到这个查询码" in stranger.get_data(as_text=True)


def test_the_archive_filters_and_exports_without_the_applicant(app, client, regions,
                                                               users) -> None:
    answered, _ = file(now=None)
    handling.answer(answered, users["county"], handling.Answer(
        Outcome.PARTIAL, "third_party", "资金明细见附表。", withheld="施工企业报价单"))
    private, _ = file(now=None, consent_to_publish=False, subject="=HYPERLINK(\"x\")",
                      office_kind="government")
    page = client.get("/requests/").get_data(as_text=True)
    assert "部分公开" in page and "某村 2024 年衔接资金的使用明细" in page
    assert "HYPERLINK" not in page  # no consent: a neutral title
    assert NAME not in page and PHONE not in page and EMAIL not in page
    partial = client.get("/requests/?outcome=partial").get_data(as_text=True)
    assert f"/requests/{answered.id}\"" in partial and f"/requests/{private.id}\"" not in partial
    office = client.get(f"/requests/?office={SAMPLE['county']}-government").get_data(True)
    assert f"/requests/{private.id}\"" in office and f"/requests/{answered.id}\"" not in office
    detail = client.get(f"/requests/{answered.id}").get_data(as_text=True)
    assert "资金明细见附表。" in detail and "施工企业报价单" in detail and "第十五条" in detail
    assert "欧**英" in detail and NAME not in detail
    hidden = client.get(f"/requests/{private.id}").get_data(as_text=True)
    assert "没有同意公开" in hidden and "衔接资金的支出明细" not in hidden
    response = client.get("/requests/export.csv?outcome=partial")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][9] == "部分公开"
    everything = client.get("/requests/export.csv").get_data(as_text=True)
    assert NAME not in everything and PHONE not in everything
    api = client.get("/api/v1/requests?outcome=partial").get_json()
    assert api["total"] == 1 and api["items"][0]["outcome"] == "partial"
    one = client.get(f"/api/v1/requests/{answered.id}").get_json()
    assert one["answer"] == "资金明细见附表。" and one["withheld"] == "施工企业报价单"
    assert client.get(f"/api/v1/requests/{private.id}").get_json()["question"] is None
    assert client.get("/api/v1/requests/999999").status_code == 404
    feed = client.get("/feeds/requests.xml")
    assert feed.mimetype == "application/atom+xml" and f"/requests/{answered.id}" in feed.text


def test_held_requests_are_not_public(app, client, regions) -> None:
    info, _ = file(now=None, suspicion="honeypot")
    assert client.get(f"/requests/{info.id}").status_code == 404
    assert client.get(f"/api/v1/requests/{info.id}").status_code == 404
    assert client.get("/api/v1/requests").get_json()["total"] == 0


def test_the_sitemap_lists_every_public_request_and_no_held_one(app, client, regions) -> None:
    public, _ = file(now=None)
    held, _ = file(now=None, suspicion="honeypot")
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/requests/{public.id}</loc>" in sitemap
    assert f"/requests/{held.id}</loc>" not in sitemap and NAME not in sitemap


def test_staff_handle_by_form_and_only_their_region(app, regions, users, client_for) -> None:
    info, _ = file(now=None, body="请公开本村 2024 年衔接资金的支出明细。")
    staff = client_for("staff-county")
    listing = staff.get("/admin/requests/").get_data(as_text=True)
    assert info.subject in listing and NAME not in listing
    page = staff.get(f"/admin/requests/{info.id}").get_data(as_text=True)
    assert "答复：部分公开" in page and NAME not in page
    refused = staff.post(f"/admin/requests/{info.id}/answer-partial",
                         data={"answer-partial-text": "见附表"})
    assert refused.status_code == 400 and "请选择答复的法律依据" in refused.get_data(True)
    done = staff.post(f"/admin/requests/{info.id}/extend",
                      data={"extend-days": "10", "extend-reason": "需要调档"})
    assert done.status_code == 302 and _only().extension_days == 10
    done = staff.post(f"/admin/requests/{info.id}/answer-partial", data={
        "answer-partial-basis": "third_party", "answer-partial-text": "见附表",
        "answer-partial-withheld": "报价单"})
    assert done.status_code == 302 and _only().outcome is Outcome.PARTIAL
    other = client_for("staff-other")
    assert other.get(f"/admin/requests/{info.id}").status_code == 403
    assert other.post(f"/admin/requests/{info.id}/applicant").status_code == 403
    shown = staff.post(f"/admin/requests/{info.id}/applicant").get_data(as_text=True)
    assert NAME in shown and PHONE in shown
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "request_applicant_viewed")) is not None
    for url in ("/admin/", "/admin/audit/"):
        assert NAME not in staff.get(url).get_data(as_text=True)


def test_an_applicant_no_key_opens_is_reported_and_not_logged_as_seen(app, regions, users,
                                                                      client_for) -> None:
    info, _ = file(now=None, body="请公开本村 2024 年衔接资金的支出明细。")
    app.config["DATA_ENCRYPTION_KEY"] = Fernet.generate_key().decode()  # the old key is lost
    response = client_for("staff-county").post(f"/admin/requests/{info.id}/applicant")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "身份信息无法解密" in body and NAME not in body
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "request_applicant_viewed")) is None


@pytest.mark.parametrize("page_cache", [True, False])
def test_three_different_applicants_put_a_record_on_the_often_requested_list(
        app, client, regions, users, client_for, page_cache) -> None:
    """Without the page cache too: the list is remembered per worker until a request of the
    region changes."""
    app.config["PAGE_CACHE"] = page_cache
    county = f"/requests/?region={SAMPLE['county']}"
    for n, name in enumerate(["张三丰", "李四光"]):
        file(now=None, about="/funds/9", name=name, phone=f"1390000000{n}")
    file(now=None, about="/funds/9", name="张三丰", phone="13900000000")  # the same one again
    for url in ("/requests/", county):
        assert "经常被申请的信息" not in client.get(url).get_data(as_text=True)
    file(now=None, about="/funds/9", name="王五", phone="13900000009")
    for url in ("/requests/", county):
        page = client.get(url).get_data(as_text=True)
        assert "经常被申请的信息" in page and "3 位申请人" in page and "4 件申请" in page
    assert "/funds/9" in client_for("staff-county").get("/admin/requests/").get_data(True)
    assert "经常被申请的信息" not in client_for("staff-other").get("/admin/requests/").get_data(
        as_text=True)


def test_record_pages_offer_to_ask_for_more(app, client, regions) -> None:
    from tests.funds.conftest import make_fund

    fund = make_fund()
    page = client.get(f"/funds/{fund.id}").get_data(as_text=True)
    assert f"/requests/new?about=/funds/{fund.id}&amp;region={fund.region_code}" in page
    form = client.get(f"/requests/new?about=%2Ffunds%2F{fund.id}").get_data(as_text=True)
    assert f'value="/funds/{fund.id}"' in form


def test_answers_and_edited_questions_never_name_the_applicant(app, client, regions,
                                                               users, client_for) -> None:
    info, _ = file(now=None)
    handling.answer(info, users["county"], handling.Answer(
        Outcome.DISCLOSED, "open", f"{NAME}同志：明细见附表。如有疑问请回复 {EMAIL}。"))
    handling.set_public_text(info, users["county"], f"{NAME}的申请", f"申请人{NAME}要明细")
    page = client.get(f"/requests/{info.id}").get_data(as_text=True)
    assert "欧**英同志：明细见附表。" in page and "欧**英的申请" in page
    assert NAME not in page and EMAIL not in page
