"""The page cache (sunshine.pagecache): kept pages answered in front of Flask, their
invalidation scoped by feature and region, and each visitor's own account area."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from sunshine import create_app, pagecache
from sunshine.accounts.models import Role
from sunshine.extensions import db
from sunshine.pagecache import versions
from sunshine.stats import rollup
from tests.apps import PASSWORD, make_config
from tests.conftest import COUNTY_PREFIX, SAMPLE
from tests.factories import make_user
from tests.funds.conftest import make_fund
from tests.stats.conftest import insert_register, make_register

PAGE = f"/stats/{SAMPLE['county']}?sort=reg"
ACCOUNT = re.compile(r'<div class="account">.*?</div>\n  </div>', re.S)


@pytest.fixture
def register(app: Flask, regions: dict[str, str]) -> None:
    """Synthetic households in the test villages, rolled up."""
    insert_register(make_register())
    rollup.rebuild_all()
    db.session.commit()


def _served_in_front(app: Flask, client: Any, path: str) -> tuple[Any, bool]:
    """A request that Flask itself never sees (its request hooks would count it)."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append("flask") and None)
    try:
        response = client.get(path)
    finally:
        app.before_request_funcs[None].pop()
    return response, not seen


def test_a_kept_page_comes_from_the_front_with_flasks_headers(app, client, register) -> None:
    first, front = _served_in_front(app, client, PAGE)
    assert not front and first.status_code == 200  # rendered by Flask, and kept
    again, front = _served_in_front(app, client, PAGE)
    assert front and again.data == first.data
    for name in ("Content-Type", "Content-Security-Policy", "X-Frame-Options",
                 "X-Content-Type-Options", "Referrer-Policy", "Content-Length", "ETag"):
        assert again.headers[name] == first.headers[name], name
    head = client.head(PAGE)
    assert head.status_code == 200 and head.data == b""
    # Another query string is another page; an argument the page does not read is not kept.
    assert not _served_in_front(app, client, f"/stats/{SAMPLE['county']}?sort=poor")[1]
    client.get(f"/stats/{SAMPLE['county']}?utm=x")
    assert not _served_in_front(app, client, f"/stats/{SAMPLE['county']}?utm=x")[1]


def test_a_logged_in_visitor_gets_the_kept_page_with_their_own_header(app, client, register,
                                                                      login) -> None:
    anonymous = client.get(PAGE).text
    make_user("staff-nn", Role.STAFF, SAMPLE["county"], display_name="南宁测试员")
    make_user("donor-li", Role.DONOR, None, display_name="李爱心")
    staff, donor = app.test_client(), app.test_client()
    staff.post("/login", data={"login": "staff-nn", "password": PASSWORD})
    assert login("donor-li").status_code in (302, 303)  # ``client`` is now the donor
    donor = client
    for visitor in (staff, donor):
        assert "欢迎" in visitor.get(PAGE).text  # a flashed message: rendered for them alone
    staff_page, front = _served_in_front(app, staff, PAGE)
    assert not front
    mine, front = _served_in_front(app, donor, PAGE)
    assert not front and "李爱心" in mine.text and "南宁测试员" not in mine.text
    assert "退出" in mine.text and "登录</a>" not in ACCOUNT.search(mine.text).group(0)
    # The same page but for the account area, and never another visitor's.
    assert ACCOUNT.sub("", mine.text) == ACCOUNT.sub("", anonymous)
    fresh = app.test_client().get(PAGE).text
    assert fresh == anonymous and "李爱心" not in fresh
    if "南宁测试员" in staff_page.text:
        assert "李爱心" not in staff_page.text and "后台" in staff_page.text


def test_a_cookie_without_a_login_gets_the_anonymous_page_in_front(app, client, register
                                                                    ) -> None:
    first = client.get(PAGE)
    with_cookie = app.test_client()
    with_cookie.set_cookie("theme", "x")
    response, front = _served_in_front(app, with_cookie, PAGE)
    assert front and response.data == first.data


def test_a_session_with_a_message_or_a_remember_cookie_goes_to_flask(app, client, register,
                                                                      login) -> None:
    client.get(PAGE)
    remembered = app.test_client()
    remembered.set_cookie("remember_token", "1:1|x")
    assert not _served_in_front(app, remembered, PAGE)[1]
    make_user("donor-li", Role.DONOR, None, display_name="李爱心")
    login("donor-li")  # the welcome message waits in the session
    response, front = _served_in_front(app, client, PAGE)
    assert not front and "欢迎" in response.text


def test_a_new_build_shows_at_once(app, client, register) -> None:
    client.get(PAGE)
    assert _served_in_front(app, client, PAGE)[1]
    rollup.rebuild_all()
    db.session.commit()
    response, front = _served_in_front(app, client, PAGE)
    assert not front and response.status_code == 200


def test_one_countys_change_leaves_its_siblings_pages_kept(app, client, register,
                                                          regions) -> None:
    county, sibling, city = (f"/stats/{regions[name]}" for name in
                             ("county", "other_county", "city"))
    for path in (county, sibling, city):
        client.get(path)
        assert _served_in_front(app, client, path)[1], path
    pagecache.changed("stats", regions["village"])  # a village of the first county
    db.session.commit()
    assert not _served_in_front(app, client, county)[1]
    assert not _served_in_front(app, client, city)[1]  # it adds its counties up
    assert _served_in_front(app, client, sibling)[1]
    # A change of the city itself (its own figures) reaches the pages below it.
    pagecache.changed("stats", regions["city"])
    db.session.commit()
    assert not _served_in_front(app, client, sibling)[1]


@pytest.mark.postgres
def test_versions_follow_the_region_tree(app) -> None:
    assert versions.prefix(SAMPLE["county"]) == COUNTY_PREFIX
    assert versions.prefix(SAMPLE["village"]) == SAMPLE["village"]
    assert versions.ancestors(SAMPLE["town"]) == ["", COUNTY_PREFIX[:2], COUNTY_PREFIX[:4],
                                                   COUNTY_PREFIX]
    before = versions.signature([("funds", SAMPLE["county"]), ("funds", SAMPLE["other_county"])])
    pagecache.changed("funds", SAMPLE["town"])
    db.session.commit()
    after = versions.signature([("funds", SAMPLE["county"]), ("funds", SAMPLE["other_county"])])
    assert after[0] != before[0] and after[1:] == before[1:]
    assert versions.signature([]) == ()


@pytest.mark.postgres
def test_a_region_pages_versions_are_right_whether_read_again_or_not(app) -> None:
    """A page reads the site's clock, and its own counters again only when the clock moved:
    a write elsewhere leaves a village page's versions, one above it changes them."""
    scopes = [("funds", SAMPLE["village"]), ("projects", SAMPLE["village"])]
    first = versions.signature(scopes)
    assert versions.signature(scopes) == first
    pagecache.changed("funds", SAMPLE["other_county"])
    db.session.commit()
    assert versions.signature(scopes) == first
    pagecache.changed("projects", SAMPLE["county"])  # the county's own figures
    db.session.commit()
    second = versions.signature(scopes)
    assert second != first and second[:6] == first[:6]
    pagecache.changed("funds", SAMPLE["village"])
    db.session.commit()
    third = versions.signature(scopes)
    assert third[0] != second[0] and third[1:] == second[1:]
    assert versions.signature(scopes) == third


@pytest.mark.postgres
def test_two_workers_see_each_others_writes(app, client, register, tmp_path: Path) -> None:
    other = create_app(make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]))
    other_client = other.test_client()
    for worker, visitor in ((app, client), (other, other_client)):
        visitor.get(PAGE)
        assert _served_in_front(worker, visitor, PAGE)[1]
    with other.app_context():
        pagecache.changed("stats", SAMPLE["county"])
        db.session.commit()
    assert not _served_in_front(app, client, PAGE)[1]
    assert not _served_in_front(other, other_client, PAGE)[1]
    with other.app_context():
        db.engine.dispose()


def test_switched_off_every_page_is_rendered(app, client, register) -> None:
    app.config["PAGE_CACHE"] = False
    first = client.get(PAGE)
    again, front = _served_in_front(app, client, PAGE)
    assert not front and again.data == first.data


def test_a_fund_published_in_one_county_leaves_the_other_countys_list_kept(
        app, client, regions) -> None:
    county, other, province = (f"/funds/?region={regions['county']}",
                               f"/funds/?region={regions['other_county']}", "/funds/")
    for path in (county, other, province):
        client.get(path)
        assert _served_in_front(app, client, path)[1], path
    make_fund(name="县里新下达的扶贫资金", region_code=regions["county"])
    page, front = _served_in_front(app, client, county)
    assert not front and "县里新下达的扶贫资金" in page.text  # at once
    assert "县里新下达的扶贫资金" in client.get(province).text
    assert _served_in_front(app, client, other)[1]


def test_a_donor_and_a_seller_get_their_own_links_on_the_kept_lists(app, client, regions) -> None:
    make_user("donor-zhao", Role.DONOR, None, display_name="赵爱心")
    make_user("seller-qian", Role.SELLER, None, display_name="钱老板")
    anonymous = client.get("/help/").text
    assert "注册爱心人士账号" in anonymous and "我的认领" not in anonymous
    donor, seller = app.test_client(), app.test_client()
    for visitor, name in ((donor, "donor-zhao"), (seller, "seller-qian")):
        visitor.post("/login", data={"login": name, "password": PASSWORD})
        visitor.get("/")  # the welcome message, flashed once
    assert "我的认领" in donor.get("/help/").text
    assert "管理我的产品" in seller.get("/market/").text
    assert "管理我的产品" not in donor.get("/market/").text
    assert "我的认领" not in client.get("/help/").text
