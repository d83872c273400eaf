"""Visitors with a session get kept pages in front of Flask: their own account area (kept per
account), fresh CSRF tokens that the forms accept, and never another visitor's login state.
CSRF protection is on here, as in production."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.accounts.models import Role
from tests.apps import PASSWORD
from tests.factories import make_user

PAGE = "/"
TOKEN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
ACCOUNT = re.compile(r'<div class="account">.*?</div>\n  </div>', re.S)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": True}


def served_in_front(app: Flask, client: FlaskClient, path: str) -> tuple[Any, bool]:
    """A request, and whether Flask never saw it (its request hooks would count it)."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append("flask") and None)
    try:
        response = client.get(path)
    finally:
        app.before_request_funcs[None].pop()
    return response, not seen


def logged_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    token = TOKEN.search(client.get("/login").text)
    assert token is not None
    response = client.post("/login", data={"login": username, "password": PASSWORD,
                                           "csrf_token": token.group(1)})
    assert response.status_code == 302
    client.get(PAGE)  # the welcome message, flashed once
    return client


def account(page: str) -> str:
    found = ACCOUNT.search(page)
    assert found is not None
    return found.group(0)


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_two_donors_and_a_stranger_each_get_their_own_header_from_the_front(
        app: Flask, regions: dict[str, str]) -> None:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    make_user("donor-li", Role.DONOR, None, display_name="李爱心")
    wang, li = logged_in(app, "donor-wang"), logged_in(app, "donor-li")
    stranger = app.test_client()
    for _ in range(2):  # the first round renders (and keeps) each one's part in Flask
        pages = {name: client.get(PAGE).text
                 for name, client in (("wang", wang), ("li", li), ("stranger", stranger))}
    for name, client in (("wang", wang), ("li", li), ("stranger", stranger), ("li", li)):
        page, front = served_in_front(app, client, PAGE)
        assert front, name
        assert ACCOUNT.sub("", page.text) == ACCOUNT.sub("", pages["stranger"])
        header = account(page.text)
        assert ("王爱心" in header) == (name == "wang"), name
        assert ("李爱心" in header) == (name == "li"), name
        assert ("退出" in header) == (name != "stranger"), name
        assert "王爱心" not in ACCOUNT.sub("", page.text)
    # The anonymous page carries no token; a donor's carries their own session's.
    assert not TOKEN.search(pages["stranger"])
    assert TOKEN.search(pages["wang"]).group(1) != TOKEN.search(pages["li"]).group(1)  # type: ignore[union-attr]


@pytest.mark.own_app
def test_the_logout_token_from_the_front_logs_out(app: Flask, regions: dict[str, str]) -> None:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    wang = logged_in(app, "donor-wang")
    wang.get(PAGE)
    page, front = served_in_front(app, wang, PAGE)
    assert front and "王爱心" in account(page.text)
    token = TOKEN.search(account(page.text))
    assert token is not None
    assert wang.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert wang.post("/logout", data={"csrf_token": token.group(1)}).status_code == 302
    page = wang.get(PAGE)
    assert "王爱心" not in page.text and "登录" in account(page.text)


@pytest.mark.own_app
def test_a_session_ended_elsewhere_is_never_served_as_logged_in(app: Flask,
                                                                regions: dict[str, str]) -> None:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    phone, laptop = logged_in(app, "donor-wang"), logged_in(app, "donor-wang")
    phone.get(PAGE)
    assert served_in_front(app, phone, PAGE)[1]
    token = TOKEN.search(laptop.get(PAGE).text)
    assert token is not None
    assert laptop.post("/logout", data={"csrf_token": token.group(1)}).status_code == 302
    page, front = served_in_front(app, phone, PAGE)
    assert not front and "王爱心" not in page.text  # Flask-Login refuses the old session


@pytest.mark.own_app
def test_a_session_from_another_browser_is_served_as_flask_login_would(
        app: Flask, regions: dict[str, str]) -> None:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    wang = logged_in(app, "donor-wang")
    wang.get(PAGE)
    elsewhere = {"User-Agent": "另一个浏览器"}
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append("flask") and None)
    try:
        page = wang.get(PAGE, headers=elsewhere)
    finally:
        app.before_request_funcs[None].pop()
    # Still logged in ("basic" session protection), but no longer a fresh login.
    assert not seen and "王爱心" in account(page.text)
    cookie = wang.get_cookie("session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer.loads(cookie.value)["_fresh"] is False
    assert wang.get("/account/password", headers=elsewhere).status_code == 200


@pytest.mark.own_app
def test_the_login_and_register_forms_are_kept_with_each_visitors_own_token(
        app: Flask, regions: dict[str, str]) -> None:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    first, second = app.test_client(), app.test_client()
    for path in ("/login", "/register", "/login?next=/help/"):
        page, front = served_in_front(app, first, path)
        assert page.status_code == 200 and not front, path  # rendered, then kept
        again, front = served_in_front(app, second, path)
        assert again.status_code == 200 and front, path
        for answer in (page, again):
            assert answer.headers["Cache-Control"] == "no-store", path
        mine, theirs = TOKEN.search(page.text), TOKEN.search(again.text)
        assert mine is not None and theirs is not None, path
        assert mine.group(1) != theirs.group(1), path
        assert TOKEN.sub("", page.text) == TOKEN.sub("", again.text), path
    # The token the front made logs in, and goes to ``next``.
    token = TOKEN.search(second.get("/login?next=/help/").text)
    assert token is not None
    answer = second.post("/login?next=/help/", data={
        "login": "donor-wang", "password": PASSWORD, "csrf_token": token.group(1)})
    assert answer.status_code == 302 and answer.headers["Location"] == "/help/"
    second.get(PAGE)  # the welcome message, flashed once
    # Logged in, the register form sends home rather than showing the kept page.
    answer, front = served_in_front(app, second, "/register")
    assert answer.status_code == 302 and not front
    second.get("/login")  # Flask renders this account's header once, for the front
    page, front = served_in_front(app, second, "/login")
    assert front and "王爱心" in account(page.text)


@pytest.mark.own_app
def test_the_password_form_is_kept_for_logged_in_visitors_only(app: Flask,
                                                               regions: dict[str, str]) -> None:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    make_user("donor-li", Role.DONOR, None, display_name="李爱心")
    wang, li = logged_in(app, "donor-wang"), logged_in(app, "donor-li")
    stranger = app.test_client()
    for client in (wang, li, wang, li):  # each one's header rendered once by Flask
        assert client.get("/account/password").status_code == 200
    for name, client in (("王爱心", wang), ("李爱心", li)):
        page, front = served_in_front(app, client, "/account/password")
        assert front and name in account(page.text)
        assert page.headers["Cache-Control"] == "no-store"
    # A visitor who is not logged in is sent to log in, by Flask, every time.
    for _ in range(2):
        answer, front = served_in_front(app, stranger, "/account/password")
        assert answer.status_code == 302 and not front
        assert answer.headers["Location"].startswith("/login")
    # The token the front put in changes the password.
    page, front = served_in_front(app, li, "/account/password")
    token = TOKEN.search(page.text.replace(account(page.text), ""))
    assert front and token is not None
    answer = li.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "another-horse-battery-7",
        "csrf_token": token.group(1)})
    assert answer.status_code == 302
