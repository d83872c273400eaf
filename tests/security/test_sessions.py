"""Sessions: logout, a password change or a disabled account ends every session and
remember cookie at once, a login starts a new session, and ``next=`` only goes to local
pages."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.accounts.models import Role
from tests.apps import PASSWORD
from tests.factories import make_user

NEW_PASSWORD = "another-Strong-pass-42"
REMEMBER_COOKIE = "remember_token"


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
