"""CSRF: with the production setting every form POST needs its token, and production cannot
run without it (or without a strong secret key)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine import create_app
from sunshine.accounts.models import Role
from sunshine.config import ConfigError
from sunshine.extensions import db
from tests.apps import PASSWORD, TEST_SECRET
from tests.factories import make_user
from tests.security.conftest import assert_chinese_page, attempt_count, audit_count, user_count

CSRF_MESSAGE = "表单已过期或缺少安全令牌"
TOKEN_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": True}


def token_from(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    match = TOKEN_RE.search(page.get_data(as_text=True))
    assert match, f"no csrf_token field on {path}"
    return match.group(1)


def login_with_token(client: FlaskClient, username: str) -> None:
    token = token_from(client, "/login")
    response = client.post("/login", data={"login": username, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


def state() -> tuple[int, int, int]:
    return user_count(), audit_count(), attempt_count()


def assert_refused(response: Any) -> None:
    assert response.status_code == 400
    assert_chinese_page(response.get_data(as_text=True), CSRF_MESSAGE)


@pytest.mark.parametrize("token", [None, "", "not-a-token", "stolen"])
def test_login_without_a_valid_token_is_refused(client: FlaskClient, regions: dict[str, str],
                                                token: str | None) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    data = {"login": "staff-a", "password": PASSWORD}
    if token == "stolen":
        # A real token, but from another visitor's session.
        other = client.application.test_client()
        data["csrf_token"] = token_from(other, "/login")
    elif token is not None:
        data["csrf_token"] = token
    before = state()
    assert_refused(client.post("/login", data=data))
    assert state() == before
    assert client.get("/admin/").status_code == 302  # not logged in


def test_login_with_the_token_works(client: FlaskClient, regions: dict[str, str]) -> None:
    """The control: the refusals above are about the token, not the credentials."""
    make_user("staff-a", Role.STAFF, regions["county"])
    login_with_token(client, "staff-a")
    assert client.get("/admin/").status_code == 200


def test_register_without_token_is_refused(client: FlaskClient) -> None:
    data = {"role": "donor", "contact": "csrf@example.cn", "password": "Zq8!mNp2#kLw-7",
            "confirm": "Zq8!mNp2#kLw-7"}
    before = state()
    assert_refused(client.post("/register", data=data))
    assert state() == before
    # With the token it goes through.
    data["csrf_token"] = token_from(client, "/register")
    assert client.post("/register", data=data).status_code == 302
    assert user_count() == before[0] + 1


def test_logout_without_token_is_refused(client: FlaskClient, regions: dict[str, str]) -> None:
    user = make_user("staff-a", Role.STAFF, regions["county"])
    login_with_token(client, "staff-a")
    version = user.session_version
    before = state()
    assert_refused(client.post("/logout"))
    assert state() == before
    db.session.refresh(user)
    assert user.session_version == version
    assert client.get("/admin/").status_code == 200  # still logged in
    # With the token, logout works.
    token = token_from(client, "/admin/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_password_change_without_token_is_refused(client: FlaskClient,
                                                  regions: dict[str, str]) -> None:
    user = make_user("staff-a", Role.STAFF, regions["county"])
    login_with_token(client, "staff-a")
    old_hash, before = user.password_hash, state()
    assert_refused(client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "another-Strong-pass-42"}))
    assert state() == before
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_admin_forms_without_token_are_refused(client: FlaskClient,
                                               regions: dict[str, str]) -> None:
    make_user("root-admin", Role.ADMIN, None)
    victim = make_user("staff-a", Role.STAFF, regions["county"])
    login_with_token(client, "root-admin")
    data = {"username": "csrf-editor", "display_name": "编辑", "role": "editor",
            "region_code": regions["county"], "password": "Zq8!mNp2#kLw-7"}
    before = state()
    assert_refused(client.post("/admin/users/new", data=data))
    assert_refused(client.post(f"/admin/users/{victim.id}/toggle"))
    assert state() == before
    db.session.refresh(victim)
    assert victim.active
    data["csrf_token"] = token_from(client, "/admin/users/new")
    assert client.post("/admin/users/new", data=data).status_code == 302
    assert user_count() == before[0] + 1


def test_every_form_page_carries_a_token(client: FlaskClient, regions: dict[str, str]) -> None:
    make_user("root-admin", Role.ADMIN, None)
    for path in ("/login", "/register"):
        token_from(client, path)
    login_with_token(client, "root-admin")
    for path in ("/admin/users/new", "/account/password", "/admin/users/", "/admin/"):
        token_from(client, path)


# --- production configuration ----------------------------------------------------------------

STRONG = "kP3-vN8q_Zr2xW7tY5uB1mC4dF6gH9jL0sA"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SUNSHINE_* variable of the machine running the tests may change the outcome."""
    import os

    for name in list(os.environ):
        if name.startswith("SUNSHINE_"):
            monkeypatch.delenv(name)


def production(tmp_path: Path, **extra: Any) -> Flask:
    config = {"SUNSHINE_ENV": "production", "SECRET_KEY": STRONG,
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite'}",
              "SEARCH_INDEX_DIR": str(tmp_path / "index"), "SEARCH_APPLY_THREAD": False}
    config.update(extra)
    return create_app(config)


def test_production_keeps_csrf_on(tmp_path: Path, clean_env: None) -> None:
    app = production(tmp_path)
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert not app.debug and not app.testing
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_from_environment_keeps_csrf_on(tmp_path: Path, clean_env: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNSHINE_ENV", "production")
    monkeypatch.setenv("SUNSHINE_SECRET_KEY", STRONG)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'env.sqlite'}"})
    assert app.config["SUNSHINE_ENV"] == "production"
    assert app.config["WTF_CSRF_ENABLED"] is True


def test_production_refuses_to_switch_csrf_off(tmp_path: Path, clean_env: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError):
        production(tmp_path, WTF_CSRF_ENABLED=False)
    monkeypatch.setenv("SUNSHINE_WTF_CSRF_ENABLED", "false")
    with pytest.raises(ConfigError):
        production(tmp_path)


@pytest.mark.parametrize("key", [None, "", "dev", "changeme", "secret", "x" * 64,
                                 "short-but-random-Kq2", "0123456789" * 3, "ab" * 20])
def test_production_refuses_missing_or_weak_secret(tmp_path: Path, clean_env: None,
                                                   key: str | None) -> None:
    with pytest.raises(ConfigError):
        production(tmp_path, SECRET_KEY=key)


def test_the_default_environment_is_production(tmp_path: Path, clean_env: None) -> None:
    """A WSGI server started with no settings at all must not run with a guessable key."""
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})


def test_testing_secret_is_accepted_in_production(tmp_path: Path, clean_env: None) -> None:
    """The control: a strong key passes (the tests' own key is one)."""
    assert production(tmp_path, SECRET_KEY=TEST_SECRET).config["SECRET_KEY"] == TEST_SECRET
