"""The issue's "Done when", through the web only: a donor registers, pledges part of a need, a
second donor fulfils the rest, staff deliver, the household confirms with the slip's code, and
the first donor reads the confirmation and the thanks."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.matching.models import Need, NeedState, Pledge
from tests.matching.conftest import HOUSEHOLD

PASSWORD = "Ai-xin-bang-fu-2024"


def register(app: Flask, contact: str, name: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/register", data={"role": "donor", "contact": contact,
                                               "display_name": name, "password": PASSWORD,
                                               "confirm": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    response = client.post("/login", data={"login": contact, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_done_when(app, users, client_for):
    # Town staff create the need, county staff verify it: it is public.
    town, county = client_for("staff-town"), client_for("staff-county")
    response = town.post("/admin/matching/new", data={
        "household_id": f"{HOUSEHOLD:016d}", "category": "助学", "kind": "items",
        "title": "三年级学生需要书包和文具", "story": "孩子的书包已经破了。", "urgency": "1",
        "deadline": (date.today() + timedelta(days=20)).isoformat(),
        "items-0-name": "书包", "items-0-quantity": "2", "items-0-unit": "个",
        "items-0-price": "80.00"})
    assert response.status_code == 302
    need_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert town.post(f"/admin/matching/{need_id}/submit").status_code == 302
    assert county.post(f"/admin/matching/{need_id}/verify").status_code == 302
    line = db.session.get(Need, need_id).items[0].id

    # A donor registers and pledges part of it.
    first = register(app, "first-donor@example.cn", "王女士")
    page = first.get(f"/help/{need_id}").get_data(as_text=True)
    assert "三年级学生需要书包和文具" in page and "确认认领" in page
    response = first.post(f"/help/{need_id}/pledge", data={
        "item": str(line), "quantity": "1", "donor_kind": "person", "display_name": "王女士"})
    assert response.status_code == 303
    assert "已认领 50%" in first.get(f"/help/{need_id}").get_data(as_text=True)

    # A second donor fulfils the rest; the first sees it fulfilled.
    second = register(app, "13900001111", "某爱心企业")
    response = second.post(f"/help/{need_id}/pledge", data={
        "item": str(line), "quantity": "1", "donor_kind": "org", "display_name": "某爱心企业"})
    assert response.status_code == 303
    page = first.get(f"/help/{need_id}").get_data(as_text=True)
    assert "已认领 100%" in page and "已认领完" in page and "某爱心企业" in page

    # Staff deliver each pledge; one slip is confirmed by the household with its code, the
    # other by a second staff member.
    db.session.expire_all()
    mine, theirs = db.session.execute(select(Pledge).where(Pledge.need_id == need_id)
                                      .order_by(Pledge.id)).scalars()
    assert town.post(f"/admin/matching/pledges/{mine.id}/start").status_code == 302
    slip = town.post(f"/admin/matching/pledges/{mine.id}/deliver").get_data(as_text=True)
    code = "".join(re.search(r'class="slip-code">([0-9 ]+)<', slip).group(1).split())
    town.post(f"/admin/matching/pledges/{theirs.id}/deliver")
    assert county.post(f"/admin/matching/pledges/{theirs.id}/countersign").status_code == 302
    household = app.test_client()
    response = household.post("/help/confirm", data={"code": code})
    assert response.status_code == 200 and "已确认收到" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Need, need_id).state == NeedState.DELIVERED
    thanks = {"note": "谢谢王女士和爱心企业，孩子背上新书包很开心。"}
    assert town.post(f"/admin/matching/{need_id}/thanks", data=thanks).status_code == 302

    # The first donor reads the confirmation and the thanks.
    mine_page = first.get("/help/mine").get_data(as_text=True)
    assert "已确认送达" in mine_page and "受助户凭送达单确认码确认" in mine_page
    assert "孩子背上新书包很开心" in mine_page
    theirs_page = second.get("/help/mine").get_data(as_text=True)
    assert "另一名工作人员会签确认" in theirs_page and "孩子背上新书包很开心" in theirs_page
    public = app.test_client().get(f"/help/{need_id}").get_data(as_text=True)
    assert "已致谢" in public and "受助户的感谢" in public
    assert "孩子背上新书包很开心" in app.test_client().get("/help/thanks").get_data(as_text=True)
