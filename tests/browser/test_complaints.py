"""Complaints in Chromium: a citizen files an anonymous report on a 360 px phone without
scripts, gets a code and follows the case while staff accept, reply and close it; payloads in
a case never run when staff open it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.browser.conftest import LiveServer, Tab
from tests.conftest import SAMPLE

pytestmark = pytest.mark.browser

PAYLOAD_SUBJECT = "<img src=x onerror=alert('subject')>"
PAYLOAD_BODY = "<script>alert('body')</script><svg onload=alert('svg')>"


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
    """No need to wait five seconds before submitting in a test."""
    config = live_server.app.config
    saved = config["COMPLAINT_MIN_FILL_SECONDS"]
    config["COMPLAINT_MIN_FILL_SECONDS"] = 0
    yield
    config["COMPLAINT_MIN_FILL_SECONDS"] = saved


def _newest_case(live_server: LiveServer) -> Any:
    from sunshine.complaints.models import Case
    from sunshine.extensions import db

    with live_server.app.app_context():
        case_id = db.session.scalar(select(func.max(Case.id)))
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        db.session.remove()
    return case


def _file(tab: Tab, subject: str, body: str) -> str:
    page = tab.page
    tab.page.goto(tab.base_url + "/complaints/new")
    page.check("input[name=kind][value=report]")
    page.check("input[name=category][value=资金使用]")
    page.select_option("#city", SAMPLE["city"])
    page.click("button[value=refine]")
    # Each refine is a full page load; wait for the next level's options before reading them.
    page.wait_for_selector(f"#county option[value='{SAMPLE['county']}']", state="attached")
    page.select_option("#county", SAMPLE["county"])
    page.click("button[value=refine]")
    page.wait_for_selector("#town option:nth-child(2)", state="attached")
    towns = page.eval_on_selector_all("#town option", "els => els.map(e => e.value)")
    page.select_option("#town", towns[1])
    page.click("button[value=refine]")
    page.wait_for_selector("#village option:nth-child(2)", state="attached")
    villages = page.eval_on_selector_all("#village option", "els => els.map(e => e.value)")
    page.select_option("#village", villages[1])
    page.fill("#subject", subject)
    page.fill("#body", body)
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    box = page.locator("button[value=submit]").bounding_box()
    assert box is not None and box["height"] >= 44  # a large touch target
    page.click("button[value=submit]")
    code = page.text_content("#tracking-code")
    assert code and len(code.strip()) == 19, code
    return code.strip()


def test_a_citizen_files_on_a_phone_and_follows_the_case(phone: Tab, admin_tab: Tab,
                                                         live_server: LiveServer,
                                                         quick_form: None) -> None:
    code = _file(phone, "村里的产业补助没有发到户", "去年申报的产业奖补资金一直没有发。")
    case = _newest_case(live_server)
    staff = admin_tab.page
    admin_tab.goto(f"/admin/complaints/{case.id}")
    staff.click("form[action$='/accept'] button")
    staff.click("form[action$='/start'] button")
    staff.fill("#reply-text", "经核查，资金已于本月发放到户。")
    staff.click("form[action$='/reply'] button")
    staff.click("form[action$='/close'] button")
    assert "已办结" in staff.text_content("main")

    phone.page.goto(phone.base_url + "/complaints/track")
    phone.page.fill("#code", code.lower())
    phone.page.click("main button[type=submit]")
    text = phone.page.text_content("main") or ""
    for step in ("已提交", "已受理", "办理中", "已答复", "已办结",
                 "经核查，资金已于本月发放到户。"):
        assert step in text, step
    assert "产业补助没有发到户" not in text  # the history and replies only


def test_payloads_in_a_case_never_run_for_staff(phone: Tab, admin_tab: Tab,
                                                live_server: LiveServer,
                                                quick_form: None) -> None:
    _file(phone, PAYLOAD_SUBJECT, PAYLOAD_BODY)
    case = _newest_case(live_server)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    admin_tab.page.on("dialog", on_dialog)
    try:
        admin_tab.goto(f"/admin/complaints/{case.id}")
        admin_tab.page.wait_for_timeout(300)
        assert PAYLOAD_SUBJECT in (admin_tab.page.text_content("h1") or "")
        assert PAYLOAD_BODY in (admin_tab.page.text_content(".case-body") or "")
        assert admin_tab.page.locator("main img[src=x], main svg").count() == 0
        assert admin_tab.problems.report() == []
        admin_tab.goto("/admin/complaints/")
        admin_tab.page.wait_for_timeout(300)
        assert PAYLOAD_SUBJECT in (admin_tab.page.text_content("main") or "")
        assert admin_tab.problems.report() == []
    finally:
        admin_tab.page.remove_listener("dialog", on_dialog)
    assert dialogs == []
