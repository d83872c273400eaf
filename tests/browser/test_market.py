"""Market in Chromium: a seller lists a product whose text is an XSS payload through the real
forms; neither the public page nor the seller's inquiry page runs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import PASSWORD, LiveServer, Tab, _open_tab

pytestmark = pytest.mark.browser

PAYLOAD_NAME = "<img src=x onerror=alert('name')>"
PAYLOAD_BODY = "<script>alert('body')</script>[x](javascript:alert('link'))"
PAYLOAD_MESSAGE = "<svg onload=alert('message')>"


@pytest.fixture
def seller_tab(browser: Any, live_server: LiveServer) -> Iterator[Tab]:
    with _open_tab(browser, live_server.url) as tab:
        tab.goto("/login")
        tab.page.fill("#login", "seller-demo")
        tab.page.fill("#password", PASSWORD)
        with tab.page.expect_navigation():
            tab.page.click("main button[type=submit]")
        yield tab


def test_payloads_in_a_listing_and_an_inquiry_never_run(seller_tab: Tab, anon_tab: Tab) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    for tab in (seller_tab, anon_tab):
        tab.page.on("dialog", on_dialog)
    try:
        seller_tab.goto("/market/my/new")
        seller_tab.page.fill("#name", PAYLOAD_NAME)
        seller_tab.page.fill("#price", "9.90")
        seller_tab.page.fill("#description_md", PAYLOAD_BODY)
        with seller_tab.page.expect_navigation():
            seller_tab.page.click("main form button.primary >> nth=0")
        listing_id = seller_tab.page.url.rstrip("/").split("/")[-2]
        with seller_tab.page.expect_navigation():
            seller_tab.page.click("main form[action$='/submit'] button")
        anon_tab.goto(f"/market/{listing_id}")
        anon_tab.page.wait_for_timeout(300)
        assert PAYLOAD_NAME in (anon_tab.page.text_content("h1") or "")
        assert anon_tab.page.locator("main img[src=x], main script, main a[href^=javascript]") \
            .count() == 0
        anon_tab.page.fill("#quantity", "10")
        anon_tab.page.fill("#contact", "buyer@example.org")
        anon_tab.page.fill("#message", PAYLOAD_MESSAGE)
        with anon_tab.page.expect_navigation():
            anon_tab.page.click("main form button.primary")
        seller_tab.goto("/market/my/")
        with seller_tab.page.expect_navigation():
            seller_tab.page.click("main .inquiry-list a >> nth=0")
        seller_tab.page.wait_for_timeout(300)
        assert PAYLOAD_MESSAGE in (seller_tab.page.text_content("main") or "")
        assert seller_tab.page.locator("main svg").count() == 0
        anon_tab.goto("/market/")
        anon_tab.page.wait_for_timeout(200)
        assert anon_tab.problems.report() == []
    finally:
        for tab in (seller_tab, anon_tab):
            tab.page.remove_listener("dialog", on_dialog)
    assert dialogs == []
