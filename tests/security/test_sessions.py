"""Sessions: logout, a password change or a disabled account ends every session and
remember cookie at once (also where a worker remembers a session), a login starts a new
session, and ``next=`` only goes to local pages."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, update

from sunshine.accounts import services
from sunshine.accounts.models import Role, User
from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.web import SessionInterface
from tests.apps import PASSWORD
from tests.factories import make_user

NEW_PASSWORD = "another-Strong-pass-42"
REMEMBER_COOKIE = "remember_token"
TOKEN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


# --- sessions --------------------------------------------------------------------------------


def test_logout_ends_every_session(client_for: Callable[..., FlaskClient],
                                   regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    first, second = client_for("staff-a"), client_for("staff-a")
    assert first.get("/admin/").status_code == 200
    assert second.get("/admin/").status_code == 200
    stolen = session_cookie(second)
    assert first.post("/logout").status_code == 302
    for client in (first, second):
        response = client.get("/admin/")
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/login"
    # A copy of the old session cookie is worthless too.
    replay = first.application.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/admin/").status_code == 302


def test_remember_cookie_of_an_old_session_stops_working(
        app: Flask, client_for: Callable[..., FlaskClient], regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    laptop = client_for("staff-a", remember=True)
    remember = laptop.get_cookie(REMEMBER_COOKIE)
    assert remember is not None, "remember me sets no cookie"
    # Control: the remember cookie alone logs a browser back in...
    restored = app.test_client()
    restored.set_cookie(REMEMBER_COOKIE, remember.value)
    assert restored.get("/admin/").status_code == 200
    # ...until the user logs out anywhere.
    client_for("staff-a").post("/logout")
    again = app.test_client()
    again.set_cookie(REMEMBER_COOKIE, remember.value)
    assert again.get("/admin/").status_code == 302
    assert laptop.get("/admin/").status_code == 302


def test_logout_removes_the_remember_cookie(client_for: Callable[..., FlaskClient],
                                            regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    client = client_for("staff-a", remember=True)
    client.post("/logout")
    assert client.get_cookie(REMEMBER_COOKIE) is None


def test_password_change_ends_other_sessions(app: Flask, client_for: Callable[..., FlaskClient],
                                             regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    here, elsewhere = client_for("staff-a"), client_for("staff-a", remember=True)
    remember = elsewhere.get_cookie(REMEMBER_COOKIE)
    assert remember is not None
    response = here.post("/account/password",
                         data={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200  # the session that changed it goes on
    assert elsewhere.get("/admin/").status_code == 302
    restored = app.test_client()
    restored.set_cookie(REMEMBER_COOKIE, remember.value)
    assert restored.get("/admin/").status_code == 302
    # The new password works, the old one does not.
    assert app.test_client().post("/login", data={"login": "staff-a", "password": PASSWORD}
                                  ).status_code == 400
    client_for("staff-a", NEW_PASSWORD)


def test_disabling_an_account_ends_its_sessions(client_for: Callable[..., FlaskClient],
                                                regions: dict[str, str]) -> None:
    user = make_user("staff-a", Role.STAFF, regions["county"])
    make_user("root-admin", Role.ADMIN, None)
    staff = client_for("staff-a", remember=True)
    admin = client_for("root-admin")
    assert admin.post(f"/admin/users/{user.id}/toggle").status_code == 302
    assert staff.get("/admin/").status_code == 302
    response = staff.post("/login", data={"login": "staff-a", "password": PASSWORD})
    assert response.status_code == 400


def test_login_starts_a_new_session(app: Flask, client: FlaskClient,
                                    regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
    before = session_cookie(client)
    assert before is not None
    assert client.post("/login", data={"login": "staff-a", "password": PASSWORD}
                       ).status_code == 302
    after = session_cookie(client)
    assert after is not None and after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("_user_id")


# --- next= -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [
    "//evil.example", "//evil.example/admin/", "https://evil.example", "http://evil.example/",
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "javascript:alert(1)",
    "JaVaScRiPt:alert(1)", " //evil.example", "/\t/evil.example", "https:evil.example",
    "data:text/html,<script>alert(1)</script>", "evil.example", "///evil.example",
    "/%2F%2Fevil.example",
])
def test_next_only_goes_to_local_paths(client: FlaskClient, regions: dict[str, str],
                                       target: str) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    response = client.post(f"/login?next={quote(target, safe='')}",
                           data={"login": "staff-a", "password": PASSWORD})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost"), location
    assert location.scheme in ("", "http", "https")
    assert location.path.startswith("/") and not location.path.startswith("//")
    assert "\\" not in response.headers["Location"]
    assert "evil" not in location.netloc
    # Refused targets fall back to the staff home page; an encoded slash is a local path.
    assert location.path == (target if target.startswith("/%2F") else "/admin/")


def test_next_to_a_local_page_is_followed(client: FlaskClient, regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    response = client.post("/login?next=/admin/audit/",
                           data={"login": "staff-a", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/admin/audit/", "http://localhost/admin/audit/")


def test_anonymous_redirect_to_login_keeps_a_local_next(client: FlaskClient,
                                                        regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    response = client.get("/admin/audit/?action=login")
    assert urlsplit(response.headers["Location"]).path == "/login"
    response = client.post(response.headers["Location"],
                           data={"login": "staff-a", "password": PASSWORD})
    assert urlsplit(response.headers["Location"]).path == "/admin/audit/"


# --- sessions answered from memory --------------------------------------------------------------
# A worker remembers a session cookie it verified, the CSRF token it signed for a session, the
# account it loaded and an account's header on kept pages: none of it may outlive the account's
# right to the session, nor show an account as it was before a change.


def logged_in_donor(client_for: Callable[..., FlaskClient]) -> FlaskClient:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    donor = client_for("donor-wang")
    for _ in range(3):  # the welcome message, then the page kept and the header made
        donor.get("/")
    return donor


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + seconds)


def test_a_session_cookie_read_before_still_expires(client_for: Callable[..., FlaskClient],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    donor = logged_in_donor(client_for)
    assert "王爱心" in donor.get("/").text
    later(monkeypatch, 8 * 3600 + 5)  # PERMANENT_SESSION_LIFETIME
    page = donor.get("/").text
    assert "王爱心" not in page and "登录" in page
    assert donor.get("/help/mine").status_code == 302


def test_a_session_is_signed_again_when_changed_or_a_minute_old(
        client_for: Callable[..., FlaskClient], monkeypatch: pytest.MonkeyPatch) -> None:
    donor = logged_in_donor(client_for)
    for path in ("/", "/help/mine"):  # in front of Flask, and by Flask
        answer = donor.get(path)
        assert answer.status_code == 200 and "王爱心" in answer.text, path
        assert not answer.headers.getlist("Set-Cookie"), path
    for minutes, path in enumerate(("/", "/help/mine"), start=1):
        before = session_cookie(donor)
        later(monkeypatch, minutes * (SessionInterface.REFRESH_SECONDS + 1))
        answer = donor.get(path)
        assert "王爱心" in answer.text, path
        assert any(c.startswith("session=") for c in answer.headers.getlist("Set-Cookie")), path
        assert session_cookie(donor) != before
        assert not donor.get(path).headers.getlist("Set-Cookie"), path
    # A changed session is sent at once: another browser's request marks it not fresh.
    answer = donor.get("/", headers={"User-Agent": "另一个浏览器"})
    assert any(c.startswith("session=") for c in answer.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_kept_page_signs_a_sessions_token_once_a_minute(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    donor = app.test_client()
    token = TOKEN.search(donor.get("/login").text)
    assert token is not None
    assert donor.post("/login", data={"login": "donor-wang", "password": PASSWORD,
                                      "csrf_token": token.group(1)}).status_code == 302
    tokens = []
    for _ in range(4):
        found = TOKEN.search(donor.get("/").text)
        assert found is not None
        tokens.append(found.group(1))
    assert tokens[2] == tokens[3]  # the front's, signed once
    later(monkeypatch, 61)
    fresh = TOKEN.search(donor.get("/").text)
    assert fresh is not None and fresh.group(1) != tokens[3]
    assert donor.post("/logout", data={"csrf_token": tokens[3]}).status_code == 302


@pytest.mark.parametrize("end", ["disable", "password"])
def test_an_ended_account_is_logged_out_of_kept_pages_at_once(
        app: Flask, client_for: Callable[..., FlaskClient], end: str) -> None:
    """(Accounts are disabled, never deleted: the append-only audit log refers to them.)"""
    donor = logged_in_donor(client_for)
    assert "王爱心" in donor.get("/").text
    user = db.session.scalars(select(User).where(User.username == "donor-wang")).one()
    if end == "disable":
        make_user("root-admin", Role.ADMIN, None)
        services.set_active(user, False, db.session.get_one(User, user.id))
    else:
        client_for("donor-wang").post("/account/password", data={
            "current_password": PASSWORD, "new_password": NEW_PASSWORD})
    page = donor.get("/").text
    assert "王爱心" not in page and "登录" in page
    assert donor.get("/help/mine").status_code == 302


def user_statements(app: Flask, client: FlaskClient, path: str) -> list[str]:
    """The statements a request sends through SQLAlchemy that read accounts."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "user_account" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_an_account_changed_in_the_database_shows_at_once_on_pages_flask_renders(
        app: Flask, client_for: Callable[..., FlaskClient]) -> None:
    donor = logged_in_donor(client_for)
    assert "王爱心" in donor.get("/help/mine").text
    # The worker remembers the account: no query loads it while its row is unchanged.
    assert user_statements(app, donor, "/help/mine") == []
    # Changed behind the site's back (no service, no event): the next request sees it.
    db.session.execute(update(User).where(User.username == "donor-wang")
                       .values(display_name="王新名"))
    db.session.commit()
    assert user_statements(app, donor, "/help/mine")  # loaded again
    page = donor.get("/help/mine").text
    assert "王新名" in page and "王爱心" not in page
    db.session.execute(update(User).where(User.username == "donor-wang").values(active=False))
    db.session.commit()
    assert donor.get("/help/mine").status_code == 302
    assert "王新名" not in donor.get("/").text


def test_a_remembered_account_is_saved_when_a_request_changes_it(
        app: Flask, client_for: Callable[..., FlaskClient], regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    staff = client_for("staff-a")
    for _ in range(2):  # the second request gets the remembered account
        page = staff.get("/admin/")
        assert page.status_code == 200
    assert db.session.get(Region, regions["county"]).name in page.text  # its region, read
    assert staff.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD}).status_code == 302
    db.session.expire_all()
    assert services.authenticate("staff-a", NEW_PASSWORD, "192.0.2.9", app.config) is not None
