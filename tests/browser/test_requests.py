"""Disclosure on request in Chromium: on a 360 px phone without scripts a citizen asks from a
fund's page for its spending, gets a code and follows the request while the county office
extends once and answers 部分公开 with a PDF and a table (a refused file is the only one chosen
again); the answer is in the archive and the county's annual report counts it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from sunshine.requests.demo import tiny_pdf
from tests.browser.conftest import LiveServer, Tab

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Tab]:
    """A phone-sized page with JavaScript off: the form must work without it."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  is_mobile=True, has_touch=True, java_script_enabled=False,
                                  service_workers="block")
    page = context.new_page()
    try:
        yield Tab(page=page, problems=None, base_url=live_server.url)  # type: ignore[arg-type]
    finally:
        context.close()


@pytest.fixture
def quick_form(live_server: LiveServer) -> Iterator[None]:
    config = live_server.app.config
    saved = config["COMPLAINT_MIN_FILL_SECONDS"]
    config["COMPLAINT_MIN_FILL_SECONDS"] = 0
    yield
    config["COMPLAINT_MIN_FILL_SECONDS"] = saved


def _in_app(live_server: LiveServer, read: Any) -> Any:
    from sunshine.extensions import db

    with live_server.app.app_context():
        try:
            return read(db)
        finally:
            db.session.remove()


def _fund(live_server: LiveServer) -> tuple[int, str]:
    from sunshine.funds.models import Fund

    def read(db: Any) -> tuple[int, str]:
        fund = db.session.scalar(select(Fund).where(Fund.state == "published",
                                                    Fund.county_code.is_not(None))
                                 .order_by(Fund.id).limit(1))
        return fund.id, fund.county_code

    return _in_app(live_server, read)


def _upload(name: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/octet-stream", "buffer": data}


def _newest_request(live_server: LiveServer) -> int:
    from sunshine.requests.models import InfoRequest

    return _in_app(live_server, lambda db: db.session.scalar(select(func.max(InfoRequest.id))))


def test_a_citizen_asks_on_a_phone_and_the_county_answers_in_part(
        phone: Tab, admin_tab: Tab, live_server: LiveServer, quick_form: None) -> None:
    fund_id, county = _fund(live_server)
    page = phone.page
    page.goto(f"{phone.base_url}/funds/{fund_id}")
    page.click(".ask-for-this a")
    assert page.input_value("input[name=about]") == f"/funds/{fund_id}"
    assert page.input_value("#county") == county
    page.check("input[name=office_kind][value=rural]")
    page.fill("#subject", "这笔资金在各村的支出明细")
    page.fill("#body", "请公开这笔资金分到各村的金额和每笔支出的凭证。")
    page.fill("#name", "韦小梅")
    page.fill("#phone", "13977771234")
    page.check("#consent")
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    box = page.locator("button[value=submit]").bounding_box()
    assert box is not None and box["height"] >= 44
    page.click("button[value=submit]")
    code = (page.text_content("#tracking-code") or "").strip()
    assert len(code) == 19, code
    request_id = _newest_request(live_server)

    staff = admin_tab.page
    admin_tab.goto(f"/admin/requests/{request_id}")
    staff.click("summary:has-text('延长答复期限')")
    staff.fill("#extend-days", "10")
    staff.fill("#extend-reason", "涉及多个村的账目，需要调档")
    staff.click("form[action$='/extend'] button")
    assert "已延期" in (staff.text_content("main") or "")
    staff.click("summary:has-text('答复：部分公开')")
    staff.check("input[name=answer-partial-basis][value=third_party]")
    staff.fill("#answer-partial-withheld", "施工企业的分项报价单")
    staff.fill("#answer-partial-text", "各村的分配金额和支出凭证随本答复提供。")
    # One good file and one that is not what its name says: only that one is chosen again.
    staff.set_input_files("#answer-partial-file_1", files=[_upload("支出凭证.pdf", tiny_pdf(
        "Sunshine test", "Vouchers"))])
    staff.check("#answer-partial-clean_1")
    staff.set_input_files("#answer-partial-file_2", files=[_upload("分配表.pdf", b"<html>")])
    staff.click("form[action$='/answer-partial'] button")
    kept = staff.locator("form[action$='/answer-partial'] .kept-files li")
    assert kept.count() == 1 and "支出凭证.pdf" in (kept.text_content() or "")
    assert staff.is_checked("#answer-partial-kept-0-clean")
    assert "只能上传" in (staff.text_content("form[action$='/answer-partial']") or "")
    staff.set_input_files("#answer-partial-file_2", files=[_upload(
        "分配表.csv", "村,金额（元）\r\n第一村,48486.00\r\n".encode("gbk"))])
    staff.check("#answer-partial-clean_2")
    staff.click("form[action$='/answer-partial'] button")
    assert "答复结果：部分公开" in (staff.text_content("main") or "")
    assert staff.locator(".file-list a:has-text('支出凭证.pdf')").count() == 1
    assert staff.locator(".file-list a:has-text('分配表.csv')").count() == 1

    page.goto(phone.base_url + "/requests/track")
    page.fill("#code", code.lower())
    page.click("main button[type=submit]")
    text = page.text_content("main") or ""
    for seen in ("已答复", "部分公开", "涉及多个村的账目，需要调档", "施工企业的分项报价单",
                 "各村的分配金额和支出凭证随本答复提供。"):
        assert seen in text, seen
    assert page.evaluate("document.documentElement.scrollWidth") <= 361

    page.goto(f"{phone.base_url}/requests/?outcome=partial&region={county}")
    page.click(f"a[href='/requests/{request_id}']")
    public = page.text_content("main") or ""
    assert "各村的分配金额和支出凭证随本答复提供。" in public and "韦小梅" not in public
    page.goto(f"{phone.base_url}/requests/report/{county}-rural/{date.today().year}")
    cell = page.locator(f"a[href$='/{county}-rural/{date.today().year}/partial/total']")
    assert int(cell.text_content() or "0") >= 1
    cell.click()
    assert page.locator(f"a[href='/requests/{request_id}']").count() == 1
