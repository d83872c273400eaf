"""The seller's form pages remember their filled-in fields per worker, with the page cache on
and off: each seller still sees only their own profile and listings, every save shows on the
next view, and a form sent back with errors shows what its sender sent."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from sunshine.market import services
from sunshine.market.models import SellerKind
from tests.conftest import SAMPLE
from tests.market.conftest import VILLAGE, make_listing, make_seller


@pytest.mark.parametrize("page_cache", [True, False], ids=["cache-on", "cache-off"])
def test_two_sellers_each_see_their_own_forms(app: Flask, users, client_for: Any,
                                             page_cache: bool) -> None:
    app.config["PAGE_CACHE"] = page_cache
    make_seller(users["seller"])
    services.save_seller(users["seller2"], services.SellerFields(
        name="山泉茶叶有限公司", kind=SellerKind.COMPANY, village_code=VILLAGE,
        poverty_link="收购贫困户茶青"))
    mine = make_listing(users["seller"], submit=False, name="百香果",
                        description_md="绿源的果")
    theirs = make_listing(users["seller2"], submit=False, name="六堡茶",
                          description_md="山泉的茶")
    first, second = client_for("coop"), client_for("coop2")
    for _ in range(2):  # the second time from what was remembered
        a_profile = first.get("/market/my/profile").text
        b_profile = second.get("/market/my/profile").text
        assert 'value="绿源种植专业合作社"' in a_profile and "山泉茶叶" not in a_profile
        assert 'value="山泉茶叶有限公司"' in b_profile and "绿源种植" not in b_profile
        assert "收购贫困户茶青" in b_profile and "收购贫困户茶青" not in a_profile
        a_edit = first.get(f"/market/my/{mine.id}/edit").text
        b_edit = second.get(f"/market/my/{theirs.id}/edit").text
        assert 'value="百香果"' in a_edit and "六堡茶" not in a_edit and "山泉的茶" not in a_edit
        assert 'value="六堡茶"' in b_edit and "百香果" not in b_edit and "绿源的果" not in b_edit
        assert first.get(f"/market/my/{theirs.id}/edit").status_code == 403
        assert second.get(f"/market/my/{mine.id}/edit").status_code == 403
        for client in (first, second):
            new = client.get("/market/my/new").text
            assert 'id="name" maxlength="100" name="name" required type="text" value=""' in new
            assert "百香果" not in new and "六堡茶" not in new and "的果" not in new


def _token(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("page_cache", [True, False], ids=["cache-on", "cache-off"])
def test_a_save_shows_on_the_next_view_and_errors_show_what_was_sent(
        app: Flask, users, client_for: Any, page_cache: bool) -> None:
    app.config["PAGE_CACHE"] = page_cache
    make_seller(users["seller"])
    listing = make_listing(users["seller"], submit=False)
    coop = client_for("coop")
    url = f"/market/my/{listing.id}/edit"
    page = coop.get(url).text
    assert 'value="百香果"' in page and 'value="8.50"' in page
    sent = {"csrf_token": _token(page), "name": "百香果（大果）", "category": "果蔬",
            "unit": "斤", "price": "9.00", "min_order": "2", "origin_code": VILLAGE}
    assert coop.post(url, data=sent).status_code == 302
    page = coop.get(url).text
    assert 'value="百香果（大果）"' in page and 'value="9.00"' in page
    refused = coop.post(url, data={**sent, "csrf_token": _token(page), "price": "九元",
                                   "name": "百香果（小果）"})
    assert refused.status_code == 400
    assert 'value="百香果（小果）"' in refused.text and 'value="九元"' in refused.text
    assert 'value="百香果（大果）"' in coop.get(url).text
    profile = coop.get("/market/my/profile").text
    changed = {"csrf_token": _token(profile), "name": "绿源果蔬合作社", "kind": "cooperative",
               "county": SAMPLE["county"], "village_code": VILLAGE,
               "poverty_link": "吸纳贫困户务工", "action": "save"}
    assert coop.post("/market/my/profile", data=changed).status_code == 302
    assert 'value="绿源果蔬合作社"' in coop.get("/market/my/profile").text
