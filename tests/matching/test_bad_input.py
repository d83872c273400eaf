"""Naughty strings in every field of every public and staff form of the feature, and in the
query arguments of its lists: never a 5xx, a Chinese message for a refusal, nothing stored that
does not fit its column, and the counters still add up."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.matching import delivery, needs, pledges
from sunshine.matching.models import Need, NeedItem, Pledge
from tests.conftest import shared_data
from tests.matching.conftest import HOUSEHOLD, make_need
from tests.security.conftest import assert_chinese_page

STRIDE = 5  # every fifth string for each field: ~100 strings a field


@pytest.fixture
def naughty() -> list[str]:
    strings = json.loads(shared_data("naughty-strings", "blns.json").read_text("utf-8"))
    return [*strings[::STRIDE], "x" * 10_000, "１０", "1e3", "-1", "0", "9" * 40, "\u3000"]


def check(response: Any, value: str, where: str) -> None:
    assert response.status_code < 500, (where, value, response.status_code)
    if 400 <= response.status_code < 500 and response.mimetype == "text/html":
        assert_chinese_page(response.get_data(as_text=True))


def columns_fit() -> None:
    """Lengths hold even where SQLite would not enforce them (PostgreSQL does)."""
    db.session.expire_all()
    for column, limit in ((Need.title, 100), (Pledge.display_name, 64), (Pledge.contact, 100),
                          (Pledge.message, 500), (NeedItem.name, 100), (NeedItem.unit, 10)):
        assert (db.session.scalar(select(func.max(func.length(column)))) or 0) <= limit, column


def assert_counters() -> None:
    for item in db.session.execute(select(NeedItem)).scalars():
        assert 0 <= item.pledged <= item.needed
        assert item.pledged == sum(p.quantity for p in db.session.execute(select(Pledge).where(
            Pledge.item_id == item.id, Pledge.state.in_(
                ["active", "delivering", "delivered", "confirmed"]))).scalars())


PLEDGE_FIELDS = ["item", "quantity", "amount", "donor_kind", "display_name", "anonymous",
                 "contact", "message"]


def test_pledge_form(client_for, users, naughty):
    goods = make_need(users, items=[needs.ItemFields("书包", 100_000, "个")])
    money = make_need(users, items=[], amount=Decimal("1000000"))
    donor = client_for("donor-a")
    good = {"item": str(goods.items[0].id), "quantity": "1", "amount": "1.00",
            "donor_kind": "person", "display_name": "张善人", "contact": "", "message": ""}
    for field in PLEDGE_FIELDS:
        for n, value in enumerate(naughty):
            # The line and quantity fields go to the goods, the amount to the money need, the
            # rest to each in turn.
            need = {"item": goods, "quantity": goods, "amount": money}.get(
                field, (goods, money)[n % 2])
            response = donor.post(f"/help/{need.id}/pledge", data={**good, field: value})
            check(response, value, f"pledge {field}")
    columns_fit()
    assert_counters()


def test_confirm_form_and_cancel(client, client_for, users, naughty):
    need = make_need(users)
    made = pledges.pledge(users["donor"], need.id, need.items[0].id, 1, pledges.PledgeDetails())
    code = delivery.record_delivery(users["town"], made)
    for value in naughty:
        response = client.post("/help/confirm", data={"code": value})
        check(response, value, "confirm")
        assert response.status_code == 400
    assert client.post("/help/confirm", data={"code": code}).status_code == 200
    donor = client_for("donor-a")
    for value in naughty[:40]:
        response = donor.post(f"/help/mine/{made.id}/cancel", data={"reason": value})
        check(response, value, "cancel")


QUERY_ARGS = ["category", "region", "urgency", "state", "page", "per_page"]


def test_query_arguments(client, users, naughty):
    make_need(users)
    for path in ("/help/", "/help/export.csv", "/api/v1/needs", "/help/thanks"):
        for arg in QUERY_ARGS:
            for value in naughty[::3]:
                response = client.get(path, query_string={arg: value})
                check(response, value, f"{path} {arg}")
                assert response.status_code == 200, (path, arg, value)


def new_need(**overrides: str) -> dict[str, str]:
    data = {"household_id": f"{HOUSEHOLD:016d}", "category": "助学", "title": "需要书包",
            "story": "孩子的书包破了。", "kind": "items", "amount": "", "urgency": "2",
            "deadline": (date.today() + timedelta(days=20)).isoformat(),
            "items-0-name": "书包", "items-0-quantity": "2", "items-0-unit": "个",
            "items-0-price": "80"}
    data.update(overrides)
    return data


NEED_FIELDS = ["household_id", "category", "title", "story", "kind", "amount", "urgency",
               "deadline", "items-0-name", "items-0-quantity", "items-0-unit", "items-0-price",
               "items-4-name"]


@pytest.mark.parametrize("field", NEED_FIELDS)
def test_staff_need_form(client_for, users, naughty, field):
    town = client_for("staff-town")
    for value in naughty:
        data = new_need(**{field: value})
        if field == "amount":
            data["kind"] = "amount"
        check(town.post("/admin/matching/new", data=data), value, f"new {field}")
    columns_fit()


@pytest.mark.parametrize("path", ["edit", "withdraw", "send_back", "thanks", "photos",
                                  "cancel"])
def test_staff_steps(client_for, users, naughty, path):
    town = client_for("staff-town")
    need = make_need(users)
    made = pledges.pledge(users["donor"], need.id, need.items[0].id, 1, pledges.PledgeDetails())
    for value in naughty:
        if path == "edit":
            for field in ("title", "story", "urgency", "deadline"):
                data = {"title": "需要书包", "story": "说明", "urgency": "2",
                        "deadline": (date.today() + timedelta(days=9)).isoformat(), field: value}
                check(town.post(f"/admin/matching/{need.id}/edit", data=data), value, field)
        elif path == "thanks":
            check(town.post(f"/admin/matching/{need.id}/thanks", data={"note": value}), value,
                  path)
        elif path == "photos":
            check(town.post(f"/admin/matching/{need.id}/photos",
                            data={"consent": value, "confirmed": value}), value, path)
        elif path == "cancel":
            check(town.post(f"/admin/matching/pledges/{made.id}/cancel",
                            data={"reason": value}), value, path)
            db.session.expire_all()
            if db.session.get(Pledge, made.id).state == "cancelled":
                made = pledges.pledge(users["donor"], need.id, need.items[0].id, 1,
                                      pledges.PledgeDetails())
        else:
            check(town.post(f"/admin/matching/{need.id}/{path}", data={"reason": value}),
                  value, path)
            db.session.expire_all()
            if db.session.get(Need, need.id).state == "withdrawn":
                need = make_need(users)
    columns_fit()
    assert_counters()
