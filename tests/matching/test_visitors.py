"""The help pages read remembered figures, with the page cache on and off: each donor still sees
only their own name in the pledge form and only their own pledges, and every write shows on the
next view."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string

from sunshine.extensions import db
from sunshine.matching import delivery, listing, mine, needs, pledges, queries
from sunshine.matching.models import Need, Pledge
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from tests.matching.conftest import make_need


@pytest.mark.parametrize("page_cache", [True, False], ids=["cache-on", "cache-off"])
def test_two_donors_each_see_their_own_name_and_pledges(app: Flask, users, client_for: Any,
                                                        page_cache: bool) -> None:
    app.config["PAGE_CACHE"] = page_cache
    need = make_need(users, items=[needs.ItemFields("棉被", 5, "床")])
    url = f"/help/{need.id}"
    first, second = client_for("donor-a"), client_for("donor-b")
    for client in (first, second):
        client.get("/")  # the welcome message, flashed once
    pledges.pledge(users["donor"], need.id, need.items[0].id, 2,
                   pledges.PledgeDetails(display_name="张善人", contact="微信 zsr-a"))
    pledges.pledge(users["donor2"], need.id, need.items[0].id, 1,
                   pledges.PledgeDetails(display_name="", anonymous=True,
                                         contact="13800138000", donor_kind="org"))
    for _ in range(2):  # the second time from what was remembered (and kept)
        a_page, b_page = first.get(url).text, second.get(url).text
        assert 'value="张善人"' in a_page and 'value="爱心企业"' not in a_page
        assert 'value="爱心企业"' in b_page and 'value="张善人"' not in b_page
        for page in (a_page, b_page):  # the public list of pledges, never a contact
            assert "张善人（个人）认领 棉被 2 床" in page
            assert "爱心人士（单位）认领 棉被 1 床" in page
            assert "zsr-a" not in page and "13800138000" not in page
        a_mine, b_mine = first.get("/help/mine").text, second.get("/help/mine").text
        assert "棉被 2 床" in a_mine and "棉被 1 床" not in a_mine
        assert "棉被 1 床" in b_mine and "棉被 2 床" not in b_mine
        assert "公开名称</dt><dd>张善人" in a_mine and "张善人" not in b_mine
    stranger = app.test_client().get(url).text
    assert 'value="张善人"' not in stranger and 'value="爱心企业"' not in stranger
    assert "登录后认领" in stranger


def test_a_donors_filled_in_form_carries_their_own_valid_csrf_token(app: Flask, users,
                                                                     client_for: Any) -> None:
    need = make_need(users, items=[needs.ItemFields("棉被", 5, "床")])
    url = f"/help/{need.id}"
    first, second = client_for("donor-a"), client_for("donor-b")
    app.config["WTF_CSRF_ENABLED"] = True
    tokens = []
    for client in (first, second):
        page = client.get(url).text
        form = page[page.index('<form method="post" action="/help/'):]
        tokens.append(form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0])
        assert "@@" not in page
    assert tokens[0] != tokens[1]
    assert second.post(f"{url}/pledge", data={"csrf_token": tokens[0], "quantity": "1",
                                               "item": str(need.items[0].id),
                                               "donor_kind": "person"}).status_code == 400
    answer = first.post(f"{url}/pledge", data={"csrf_token": tokens[0], "quantity": "1",
                                               "item": str(need.items[0].id),
                                               "donor_kind": "person"})
    assert answer.status_code == 303


def test_need_page_and_list_follow_each_write_without_the_page_cache(app: Flask, client,
                                                                     users) -> None:
    app.config["PAGE_CACHE"] = False
    need = make_need(users, title="冬天要一床棉被", items=[needs.ItemFields("棉被", 4, "床")])
    url = f"/help/{need.id}"
    assert "已认领 0%" in client.get(url).text and "冬天要一床棉被" in client.get("/help/").text
    assert "4 床,0 床,4 床" in client.get("/help/export.csv").text
    pledges.pledge(users["donor"], need.id, need.items[0].id, 1,
                   pledges.PledgeDetails(display_name="张善人"))
    assert "已认领 25%" in client.get(url).text
    assert "已认领 25%" in client.get("/help/").text
    assert "4 床,1 床,3 床" in client.get("/help/export.csv").text
    assert client.get(f"/api/v1/needs/{need.id}").json["progress_percent"] == 25
    assert client.get("/api/v1/needs").json["items"][0]["progress_percent"] == 25
    needs.update_public(users["town"], need, "冬天要两床棉被", "说明改过了。", 1,
                        need.deadline)
    page = client.get(url).text
    assert "冬天要两床棉被" in page and "说明改过了。" in page and "工作人员更新了需求说明" in page
    assert "冬天要两床棉被" in client.get("/help/").text
    assert "冬天要两床棉被" in client.get("/help/export.csv").text
    assert client.get(f"/api/v1/needs/{need.id}").json["title"] == "冬天要两床棉被"
    village = db.session.get(Region, need.village_code)
    village.name = "新改名村"
    regions.tree_changed()
    db.session.commit()
    assert "新改名村" in client.get(url).text and "新改名村" in client.get("/help/").text
    needs.withdraw(users["town"], db.session.get(type(need), need.id), "户主已搬走")
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/needs/{need.id}").status_code == 404
    assert "冬天要两床棉被" not in client.get("/help/").text


def test_cards_written_in_python_are_the_macros_html(app: Flask, users) -> None:
    make_need(users, title="<书包> & 文具", items=[needs.ItemFields("书包", 2, "个"),
                                                 needs.ItemFields("文具", 3, "套")])
    money = make_need(users, items=[], amount=Decimal("1200.50"), urgency=1)
    make_need(users, urgency=3)
    pledges.pledge(users["donor"], money.id, money.items[0].id, 120050,
                   pledges.PledgeDetails())
    filters = queries.Filters(state="all")
    cards = queries.with_lines(db.session.execute(queries.card_query(filters)))
    places = queries.places(card.village_code for card in cards)
    assert len(cards) == 3
    with app.test_request_context("/help/"):
        macro = render_template_string(
            '{% from "matching/_ui.html" import need_card %}'
            "{% for need in cards %}{{ need_card(need, places[need.village_code]) }}{% endfor %}",
            cards=cards, places=places)
        assert str(listing.need_cards(cards, places)) == macro
    assert "&lt;书包&gt; &amp; 文具" in macro and "已认领完" in macro


#: The loop /help/mine had in its template, which ``mine.pledge_items`` writes in Python.
MINE_LOOP = (Path(__file__).parent / "mine_loop.html").read_text(encoding="utf-8")


def test_a_donors_pledges_written_in_python_are_the_loops_html(app: Flask, users) -> None:
    donor = users["donor"]
    on_hold = make_need(users, title="<校服> & 棉鞋")
    pledges.pledge(donor, on_hold.id, on_hold.items[0].id, 1,
                   pledges.PledgeDetails(display_name="张\"善\"人"))
    dropped = make_need(users)
    made = pledges.pledge(donor, dropped.id, dropped.items[0].id, 2, pledges.PledgeDetails())
    pledges.cancel(users["town"], made, "联系不上")
    thanked = make_need(users, items=[needs.ItemFields("棉被", 1, "床")])
    made = pledges.pledge(donor, thanked.id, thanked.items[0].id, 1, pledges.PledgeDetails())
    delivery.record_delivery(users["town"], made)
    delivery.countersign(users["county"], db.session.get(Pledge, made.id))
    needs.thank(users["town"], db.session.get(Need, thanked.id), "谢谢<好心人>")
    gone = make_need(users, items=[], amount=Decimal("300"))
    pledges.pledge(donor, gone.id, gone.items[0].id, 5000, pledges.PledgeDetails())
    needs.withdraw(users["town"], db.session.get(Need, gone.id), "已由民政救助")
    page = mine.donor_page(donor.id, 1)
    assert [p.need_id for p in page.items] == [gone.id, thanked.id, dropped.id, on_hold.id]
    with app.test_request_context("/help/mine"):
        loop = render_template_string(MINE_LOOP, items=page.items, csrf="TOKEN")
        assert str(mine.pledge_items(page.items, "TOKEN")) == loop
    assert "&lt;校服&gt; &amp; 棉鞋" in loop and "（联系不上）" in loop
    assert "谢谢&lt;好心人&gt;" in loop and "张&#34;善&#34;人" in loop
    assert f'<a href="/help/{gone.id}">' not in loop and loop.count("取消这份认领") == 1
