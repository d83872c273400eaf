"""Bad input on every form of the foundation: naughty strings, huge values, control characters,
broken UTF-8, missing fields and wrong types. Never a 5xx, always a Chinese message, and nothing
half-stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sunshine.accounts.models import LoginAttempt, Role, User
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from tests.conftest import COUNTY_PREFIX, SAMPLE, shared_data
from tests.factories import make_user
from tests.security.conftest import (
    assert_chinese_page,
    attempt_count,
    audit_count,
    user_count,
)

GOOD_PASSWORD = "Zq8!mNp2#kLw-7"
COUNTY = SAMPLE["county"]
ALLOWED = {200, 400, 429}
BAD_CHARACTERS = "含有无效字符"


@pytest.fixture
def app_config() -> dict[str, Any]:
    # The naughty-string loops make hundreds of failed logins from one address: lift the
    # throttles so that every string reaches the real code path instead of a 429.
    return {"LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS": 100_000,
            "LOGIN_MAX_FAILURES_PER_ADDRESS": 100_000}


@pytest.fixture
def naughty_strings() -> list[str]:
    strings = json.loads(shared_data("naughty-strings", "blns.json").read_text(encoding="utf-8"))
    assert len(strings) > 500
    # A few more that the list lacks: characters whose lower case is longer than themselves,
    # right at the field limits.
    return [*strings, "İ" * 64, "ẞ" * 64, "ﬃ" * 60 + "@example.cn"]


@pytest.fixture
def admin_client(app: Flask, regions: dict[str, str],
                 client_for: Callable[..., FlaskClient]) -> FlaskClient:
    make_user("root-admin", Role.ADMIN, None)
    return client_for("root-admin")


def login_data(**fields: str) -> dict[str, str]:
    return {"login": "nobody-here", "password": "wrong-password-1", **fields}


def register_data(n: int, **fields: str) -> dict[str, str]:
    data = {"role": "donor", "contact": f"naughty{n}@example.cn", "display_name": "测试",
            "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}
    data.update(fields)
    return data


def new_user_data(n: int, **fields: str) -> dict[str, str]:
    data = {"username": f"editor-{n}", "display_name": "编辑", "role": "editor",
            "region_code": COUNTY, "password": GOOD_PASSWORD}
    data.update(fields)
    return data


def assert_answer(response: Any, value: str) -> None:
    assert response.status_code < 500, (value, response.status_code)
    assert response.status_code in ALLOWED or response.status_code in (302, 303), (
        value, response.status_code)
    if response.status_code >= 400:
        assert_chinese_page(response.get_data(as_text=True))


def assert_stored_fields_fit() -> None:
    """Column lengths hold even where SQLite would not enforce them (PostgreSQL does)."""
    db.session.expire_all()
    assert (db.session.scalar(select(func.max(func.length(LoginAttempt.username)))) or 0) <= 64
    assert (db.session.scalar(select(func.max(func.length(AuditEntry.object_id)))) or 0) <= 64
    for column, limit in ((User.username, 64), (User.display_name, 64), (User.email, 254),
                          (User.phone, 20)):
        longest = db.session.scalar(select(func.max(func.length(column)))) or 0
        assert longest <= limit, (column, longest)


# --- naughty strings --------------------------------------------------------------------------


def test_login_form_survives_naughty_strings(app: Flask, client: FlaskClient,
                                             naughty_strings: list[str]) -> None:
    before = user_count()
    for value in naughty_strings:
        # Both fields at once: every string reaches each field, and the login code sees it.
        response = client.post("/login", data={"login": value, "password": value})
        assert_answer(response, value)
        assert response.status_code != 302, value  # no naughty string logs anybody in
    assert user_count() == before
    assert_stored_fields_fit()


@pytest.mark.parametrize("field", ["contact", "display_name", "password"])
def test_register_form_survives_naughty_strings(app: Flask, naughty_strings: list[str],
                                                field: str) -> None:
    for n, value in enumerate(naughty_strings):
        fields = {field: value}
        if field == "password":  # and the confirmation: a mismatch alone says little
            fields["confirm"] = value
        data = register_data(n, **fields)
        before = user_count()
        # A fresh client each time, as for a person each.
        response = app.test_client().post("/register", data=data)
        assert_answer(response, value)
        if response.status_code in (302, 303):
            assert user_count() == before + 1, value
            contact = data["contact"].strip()
            user = db.session.execute(select(User).where(
                (User.email == contact.lower()) | (User.phone == contact))).scalar_one()
            assert user.role == Role.DONOR and user.region_code is None
        else:
            assert user_count() == before, value
    assert_stored_fields_fit()


@pytest.mark.parametrize("fields", [("username",), ("region_code",),
                                    ("display_name", "password")])
def test_admin_new_user_form_survives_naughty_strings(admin_client: FlaskClient,
                                                      naughty_strings: list[str],
                                                      fields: tuple[str, ...]) -> None:
    for n, value in enumerate(naughty_strings):
        data = new_user_data(n, **dict.fromkeys(fields, value))
        before = user_count()
        response = admin_client.post("/admin/users/new", data=data)
        assert_answer(response, value)
        if response.status_code in (302, 303):
            assert user_count() == before + 1, value
            created = db.session.execute(
                select(User).where(User.username == data["username"].strip())).scalar_one()
            assert created.role == Role.EDITOR and created.region_code == COUNTY
        else:
            assert user_count() == before, value
    assert_stored_fields_fit()


# --- huge values, control characters, broken UTF-8 -------------------------------------------

FORMS: dict[str, tuple[str, Callable[..., dict[str, str]]]] = {
    "login": ("/login", lambda **f: login_data(**f)),
    "register": ("/register", lambda **f: register_data(0, **f)),
    "new_user": ("/admin/users/new", lambda **f: new_user_data(0, **f)),
}
TEXT_FIELDS = {
    "login": ["login", "password"],
    "register": ["contact", "display_name", "password", "confirm"],
    "new_user": ["username", "display_name", "region_code", "password"],
}
CONTROL_CHARACTERS = ["\x00", "\x1b", "\x07", "\x7f", "\x85"]
# Percent-encoded and raw bytes that are not UTF-8: lone bytes, a broken continuation byte,
# an encoded surrogate.
INVALID_UTF8 = [b"%FF%FE", b"abc%C3%28def", b"%ED%A0%80x", b"\xff\xfeabc"]


@pytest.fixture
def form_client(request: pytest.FixtureRequest, app: Flask, client: FlaskClient) -> FlaskClient:
    """The plain client, or an admin's for the back-office form."""
    if request.node.callspec.params.get("form") == "new_user":
        return request.getfixturevalue("admin_client")
    return client


def post_and_check_nothing_stored(client: FlaskClient, path: str, **kwargs: Any) -> Any:
    counts = (user_count(), audit_count(), attempt_count())
    response = client.post(path, **kwargs)
    assert 400 <= response.status_code < 500, response.status_code
    assert (user_count(), audit_count(), attempt_count()) == counts, "something was stored"
    return response


def with_value(form: str, field: str, value: str) -> dict[str, str]:
    """The form's good data with one field replaced (a new password is typed twice)."""
    _, make = FORMS[form]
    if form == "register" and field == "password":
        return make(password=value, confirm=value)
    return make(**{field: value})


@pytest.mark.parametrize("form", TEXT_FIELDS)
def test_huge_values_are_refused(form_client: FlaskClient, form: str) -> None:
    path, _ = FORMS[form]
    for field in TEXT_FIELDS[form]:
        value = "密" * 10_000 if field in ("password", "confirm") else "x" * 10_000
        response = post_and_check_nothing_stored(form_client, path,
                                                 data=with_value(form, field, value))
        assert response.status_code == 400, field
        body = response.get_data(as_text=True)
        assert_chinese_page(body)
        assert "不能超过" in body or "长度应为" in body, field


@pytest.mark.parametrize("form", TEXT_FIELDS)
def test_control_characters_are_refused(form_client: FlaskClient, form: str) -> None:
    path, make = FORMS[form]
    good = {"login": "someone", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD,
            "contact": "someone@example.cn", "display_name": "张三", "username": "editor-9",
            "region_code": COUNTY}
    for field in TEXT_FIELDS[form]:
        for char in CONTROL_CHARACTERS:
            value = good[field][:4] + char + good[field][4:]
            response = post_and_check_nothing_stored(form_client, path,
                                                     data=with_value(form, field, value))
            assert response.status_code == 400, (field, char)
            assert_chinese_page(response.get_data(as_text=True), BAD_CHARACTERS)


def _urlencoded(data: dict[str, str], raw_fields: dict[str, bytes]) -> bytes:
    from urllib.parse import quote

    parts = [f"{quote(k)}={quote(v)}".encode() for k, v in data.items() if k not in raw_fields]
    parts += [name.encode() + b"=" + raw for name, raw in raw_fields.items()]
    return b"&".join(parts)


@pytest.mark.parametrize("form", TEXT_FIELDS)
def test_invalid_utf8_is_refused(form_client: FlaskClient, form: str) -> None:
    path, make = FORMS[form]
    for field in TEXT_FIELDS[form]:
        for raw in INVALID_UTF8:
            raw_fields = {field: raw}
            if form == "register" and field == "password":
                raw_fields["confirm"] = raw
            response = post_and_check_nothing_stored(
                form_client, path, data=_urlencoded(make(), raw_fields),
                content_type="application/x-www-form-urlencoded")
            assert response.status_code == 400, (field, raw)
            assert_chinese_page(response.get_data(as_text=True), BAD_CHARACTERS)


def test_invalid_utf8_in_multipart_is_refused(client: FlaskClient) -> None:
    boundary = "----sunshine"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"login\"\r\n\r\n".encode()
            + b"ab\xff\xfecd\r\n"
            + f"--{boundary}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n"
              f"{GOOD_PASSWORD}\r\n--{boundary}--\r\n".encode())
    response = post_and_check_nothing_stored(
        client, "/login", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert_chinese_page(response.get_data(as_text=True), BAD_CHARACTERS)


# --- missing fields and wrong types ----------------------------------------------------------


@pytest.mark.parametrize(("form", "messages"), [
    ("login", ["请填写用户名", "请填写密码"]),
    ("register", ["请选择注册身份", "请填写邮箱或手机号", "请设置密码", "请再次输入密码"]),
    ("new_user", ["此项为必填"]),
])
def test_missing_fields_answer_400_in_chinese(form_client: FlaskClient, form: str,
                                              messages: list[str]) -> None:
    path, _ = FORMS[form]
    for data in ({}, {"unrelated": "x"}):
        response = post_and_check_nothing_stored(form_client, path, data=data)
        assert response.status_code == 400
        assert_chinese_page(response.get_data(as_text=True), *messages)


@pytest.mark.parametrize(("form", "field"), [("login", "login"), ("login", "password"),
                                             ("register", "contact"), ("new_user", "username"),
                                             ("new_user", "password")])
def test_blank_required_field_answers_400(form_client: FlaskClient, form: str,
                                          field: str) -> None:
    path, make = FORMS[form]
    for blank in ("", "   ", "\u3000"):
        response = post_and_check_nothing_stored(form_client, path, data=make(**{field: blank}))
        assert response.status_code == 400
        assert_chinese_page(response.get_data(as_text=True))


@pytest.mark.parametrize(("form", "fields"), [
    ("register", {"role": "notarole"}),
    ("register", {"role": "admin"}),
    ("register", {"role": "staff"}),
    ("register", {"role": ""}),
    ("new_user", {"role": "notarole"}),
    ("new_user", {"role": "donor"}),
    ("new_user", {"role": "ADMIN"}),
    ("new_user", {"role": "staff", "region_code": "abc"}),
    ("new_user", {"role": "staff", "region_code": "９９"}),
    ("new_user", {"role": "staff", "region_code": "999999999999"}),
    ("new_user", {"role": "staff", "region_code": ""}),
])
def test_wrong_types_answer_400_in_chinese(form_client: FlaskClient, form: str,
                                           fields: dict[str, str]) -> None:
    path, make = FORMS[form]
    response = post_and_check_nothing_stored(form_client, path, data=make(**fields))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert_chinese_page(body)
    assert "Not a valid" not in body and "Invalid" not in body, "an English WTForms message"


def test_repeated_fields_do_not_smuggle_a_role(client: FlaskClient) -> None:
    """role=donor&role=admin: the form reads one value, and a staff role is never granted."""
    body = _urlencoded(register_data(1), {"role": b"donor"}) + b"&role=admin"
    client.post("/register", data=body, content_type="application/x-www-form-urlencoded")
    roles = set(db.session.scalars(select(User.role)))
    assert roles <= {Role.DONOR}


def test_junk_query_arguments_never_fail(app: Flask, admin_client: FlaskClient) -> None:
    from sunshine.search.index import rebuild

    rebuild(app.config["SEARCH_INDEX_DIR"])
    for url in ("/admin/audit/?page=abc", "/admin/audit/?page=-1", "/admin/audit/?page=99999999",
                "/admin/audit/?action=%00", "/admin/regions/abc", "/admin/regions/%FF",
                "/admin/regions/000000000000", "/admin/regions/" + "9" * 500,
                "/search?q=a&page=abc", "/search?q=a&page=0", "/search?q=a&page=99999",
                "/search?q=%FF%FE", "/search?q=a&region=000000000000",
                f"/search?q=a&region={COUNTY_PREFIX}000001", "/search?q=a&type=%00",
                "/stats/abc", "/stats/000000000000", "/api/v1/regions/%FF",
                "/api/v1/regions/000000000000", "/login?next=%FF%FE", "/login?next=%00"):
        response = admin_client.get(url)
        assert response.status_code < 500, url
        if response.status_code >= 400:
            if url.startswith("/api/"):
                assert HAN_JSON(response), url
            else:
                assert_chinese_page(response.get_data(as_text=True))


def HAN_JSON(response: Any) -> bool:  # noqa: N802
    from tests.security.conftest import HAN

    payload = response.get_json()
    return isinstance(payload, dict) and bool(HAN.search(payload.get("error", "")))


#: Characters that ``str.isdigit()`` accepts and ``int()`` refuses (or reads as another number).
UNICODE_DIGITS = ("⁰⁴⁵", "²", "٣", "４５")


def test_unicode_digits_in_number_arguments_never_fail(app: Flask,
                                                        admin_client: FlaskClient) -> None:
    """Every list, export and API that takes a number from the query string."""
    lists = [rule.rule for rule in app.url_map.iter_rules()
             if "GET" in (rule.methods or ()) and not rule.arguments
             and not rule.rule.startswith(("/static", "/logout"))]
    assert len(lists) > 30
    for path in lists:
        for junk in UNICODE_DIGITS:
            for name in ("page", "per_page", "year", "cause", "region"):
                response = admin_client.get(path, query_string={name: junk})
                assert response.status_code < 500, (path, name, junk)
