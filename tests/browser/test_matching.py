"""爱心帮扶 in Chromium: a demo donor pledges through the real form (CSRF on) and lands on
their own page; that page and the town staff's new-need form pass the same gates as every other
page (axe-core, no sideways scrolling at 360 px, no console errors)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import PASSWORD, LiveServer, Tab, _open_tab
from tests.browser.test_pages import WIDTHS, check_page

pytestmark = pytest.mark.browser


def _logged_in(browser: Any, live_server: LiveServer, username: str) -> Iterator[Tab]:
    with _open_tab(browser, live_server.url) as tab:
        tab.goto("/login")
        tab.page.fill("#login", username)
        tab.page.fill("#password", PASSWORD)
        with tab.page.expect_navigation():
            tab.page.click("main button[type=submit]")
        yield tab


@pytest.fixture
def donor_tab(browser: Any, live_server: LiveServer) -> Iterator[Tab]:
    yield from _logged_in(browser, live_server, "donor-demo2")


@pytest.fixture
def town_tab(browser: Any, live_server: LiveServer) -> Iterator[Tab]:
    from sunshine.accounts.models import Role, User
    from sunshine.extensions import db

    with live_server.app.app_context():
        towns = [u.username for u in db.session.execute(select(User).where(
            User.role == Role.STAFF)).scalars()
            if u.region_code and u.region_code[6:9] != "000" and u.region_code[9:] == "000"]
        db.session.remove()
    yield from _logged_in(browser, live_server, towns[0])


def test_donor_pledges_and_sees_their_page(donor_tab: Tab, axe_source: str,
                                           screenshots: Path) -> None:
    for width in WIDTHS:  # the pledge form, as a donor sees it
        check_page(donor_tab, axe_source, screenshots, "help-need-donor", "/help/1", 200, width)
    donor_tab.goto("/help/1")
    donor_tab.page.select_option("#item", index=0)
    donor_tab.page.fill("#quantity", "1")
    with donor_tab.page.expect_navigation():
        donor_tab.page.click("main form button.primary")
    assert donor_tab.page.url.endswith("/help/mine")
    assert "认领成功" in (donor_tab.page.text_content("main") or "")
    for width in WIDTHS:
        check_page(donor_tab, axe_source, screenshots, "help-mine", "/help/mine", 200, width)


def test_staff_new_need_form(town_tab: Tab, axe_source: str, screenshots: Path) -> None:
    for width in WIDTHS:
        check_page(town_tab, axe_source, screenshots, "admin-matching-new",
                   "/admin/matching/new", 200, width)
