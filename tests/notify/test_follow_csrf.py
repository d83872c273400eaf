"""The follow form on kept pages carries each visitor's own CSRF token, put in by the page
cache (also in front of Flask), and a follow request without a valid one is refused. CSRF
protection is on here, as in production."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sunshine.accounts.models import Role
from sunshine.extensions import db
from sunshine.notify.models import Subscription
from tests.apps import PASSWORD
from tests.factories import make_user
from tests.security.conftest import assert_chinese_page

CSRF_MESSAGE = "表单已过期或缺少安全令牌"
FOLLOW_FORM = re.compile(r'<form method="post" action="/notify/follow">.*?</form>', re.S)
TOKEN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": True}


def page_of(regions: dict[str, str]) -> str:
    """A region-filtered notice list: a kept page with the follow form for the county."""
    return f"/notices/?region={regions['county']}"


def follow_token(page: str) -> str:
    form = FOLLOW_FORM.search(page)
    assert form is not None, "no follow form on the page"
    token = TOKEN.search(form.group(0))
    assert token is not None, "no csrf_token in the follow form"
    return token.group(1)


def follow(client: FlaskClient, county: str, token: str | None) -> Any:
    data = {"email": "villager@example.cn", "topic": "region", "key": county,
            "mode": "immediate"}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/notify/follow", data=data)


def subscriptions() -> int:
    return db.session.scalar(select(func.count()).select_from(Subscription)) or 0


@pytest.mark.parametrize("token", [None, "", "not-a-token", "stolen"])
def test_a_follow_request_without_a_valid_token_is_refused(
        client: FlaskClient, regions: dict[str, str], token: str | None) -> None:
    client.get(page_of(regions))  # the visitor has a session, with a token of its own
    if token == "stolen":  # a real token, but from another visitor's session
        token = follow_token(client.application.test_client().get(page_of(regions)).text)
    answer = follow(client, regions["county"], token)
    assert answer.status_code == 400
    assert_chinese_page(answer.get_data(as_text=True), CSRF_MESSAGE)
    assert subscriptions() == 0


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_the_token_of_a_page_kept_in_front_of_flask_is_accepted(
        app: Flask, regions: dict[str, str]) -> None:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    donor = app.test_client()
    login = TOKEN.search(donor.get("/login").text)
    assert login is not None
    donor.post("/login", data={"login": "donor-wang", "password": PASSWORD,
                               "csrf_token": login.group(1)})
    donor.get("/")  # the welcome message, flashed once
    stranger, newcomer = app.test_client(), app.test_client()
    for client in (stranger, donor):
        assert client.get(page_of(regions)).status_code == 200  # rendered and kept by Flask
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append("flask") and None)
    try:
        pages = {name: client.get(page_of(regions))
                 for name, client in (("stranger", stranger), ("donor", donor),
                                      ("newcomer", newcomer))}
    finally:
        app.before_request_funcs[None].pop()
    assert not seen, "the kept page was not answered in front of Flask"
    tokens = {name: follow_token(page.text) for name, page in pages.items()}
    assert len(set(tokens.values())) == 3, "each visitor has a token of their own"
    assert "@@visitor-token" not in "".join(page.text for page in pages.values())
    assert all(page.headers["Cache-Control"] == "private, no-cache" for page in pages.values())
    # The newcomer sent no cookie: the front gave them a session that holds their token.
    assert newcomer.get_cookie("session") is not None
    for name, client in (("stranger", stranger), ("donor", donor), ("newcomer", newcomer)):
        answer = follow(client, regions["county"], tokens[name])
        assert answer.status_code == 200, name
        assert "请查收确认邮件" in answer.text, name
    assert follow(stranger, regions["county"], tokens["donor"]).status_code == 400
