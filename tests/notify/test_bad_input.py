"""Naughty strings in every field of the follow and manage forms and in the token links: a
clear answer (200, 400 or 404), never a 500, and nothing followed but by a plain address."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.notify.models import Subscriber
from sunshine.notify.subscriptions import ADDRESS
from tests.conftest import SAMPLE

pytestmark = pytest.mark.postgres

GOOD = {"email": "villager@example.cn", "topic": "region", "key": SAMPLE["village"],
        "mode": "immediate"}


def test_naughty_strings_in_every_follow_field(app: Flask, regions: dict[str, str],
                                               client: FlaskClient,
                                               naughty_strings: list[str]) -> None:
    assert client.post("/notify/follow", data=GOOD).status_code == 200
    for field in GOOD:
        for naughty in naughty_strings:
            answer = client.post("/notify/follow", data={**GOOD, field: naughty})
            assert answer.status_code in (200, 400), (field, naughty, answer.status_code)
            if answer.status_code == 400:
                assert "error" in answer.text
    addresses = db.session.scalars(select(Subscriber.address)).all()
    assert addresses and all(ADDRESS.fullmatch(a) for a in addresses)


def test_naughty_strings_in_the_manage_form_and_the_links(app: Flask, client: FlaskClient,
                                                          naughty_strings: list[str]) -> None:
    for naughty in naughty_strings:
        assert client.post("/notify/manage", data={"email": naughty}).status_code in (200, 400)
        path = quote(naughty, safe="")
        if not path or path in (".", ".."):
            continue
        for page in ("confirm", "unsubscribe", "manage"):
            assert client.get(f"/notify/{page}/{path}").status_code == 404, (page, naughty)
            assert client.post(f"/notify/{page}/{path}").status_code == 404, (page, naughty)
        answer = client.get("/notify/follow", query_string={"topic": naughty, "key": naughty})
        assert answer.status_code == 404, naughty


def test_a_bad_address_or_region_is_refused_in_chinese(app: Flask, regions: dict[str, str],
                                                       client: FlaskClient) -> None:
    bad = client.post("/notify/follow", data={**GOOD, "email": "not an address"})
    assert bad.status_code == 400 and "请填写有效的电子邮件地址" in bad.text
    header = client.post("/notify/follow", data={**GOOD, "email": "a@b.cn\r\nBcc: x@y.cn"})
    assert header.status_code == 400
    city = client.post("/notify/follow", data={**GOOD, "key": SAMPLE["city"]})
    assert city.status_code == 400 and "只能关注县（市、区）、乡镇或村的动态" in city.text
    assert db.session.scalar(select(Subscriber)) is None
