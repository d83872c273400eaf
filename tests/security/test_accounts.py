"""Accounts: the password policy, login throttling, and the audit of logins and logouts.
Sessions (ending everywhere, a new one at login, ``next=``) are in test_sessions.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from sunshine.accounts import services
from sunshine.accounts.models import LoginAttempt, Role, User
from sunshine.audit import AuditEntry
from sunshine.database import utcnow
from sunshine.extensions import db
from tests.apps import PASSWORD
from tests.factories import make_user
from tests.security.conftest import assert_chinese_page, user_count

NEW_PASSWORD = "another-Strong-pass-42"


# --- password policy -------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "message"), [
    ("Abc!2345x", "至少 10 个字符"),  # nine characters
    ("短密码", "至少 10 个字符"),
    ("password123", "太常见"),
    ("Password123", "太常见"),
    ("woaini1314", "太常见"),
    ("1qaz2wsx3edc", "太常见"),
    ("aaaaaaaaaaaa", "太常见"),
    ("1111111111", "太常见"),
    ("x" * 129, "不能超过"),
])
def test_register_refuses_weak_passwords(client: FlaskClient, password: str,
                                         message: str) -> None:
    response = client.post("/register", data={"role": "donor", "contact": "weak@example.cn",
                                              "password": password, "confirm": password})
    assert response.status_code == 400
    assert_chinese_page(response.get_data(as_text=True), message)
    assert user_count() == 0


@pytest.mark.parametrize("contact", ["li@163.com", "a@example.cn", "张@example.cn",
                                     "Li.Wang@example.cn"])
def test_any_valid_email_can_register(app: Flask, contact: str) -> None:
    """Usernames are made from the address: a short or taken one must not refuse the person."""
    if contact.startswith("Li."):
        make_user("Li.Wang", Role.ADMIN, None)  # the name the address would give is taken
    response = app.test_client().post("/register", data={
        "role": "donor", "contact": contact, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    user = db.session.scalar(select(User).where(User.email == contact.lower()))
    assert user is not None and services.USERNAME_RE.match(user.username)


@pytest.mark.parametrize("contact", ["taken@example.cn", "13800138000"])
def test_registration_does_not_say_whether_a_contact_is_registered(app: Flask,
                                                                   contact: str) -> None:
    make_user("owner-x", Role.DONOR, None, email="taken@example.cn", phone="13800138000")
    fresh = "new@example.cn" if "@" in contact else "13900139000"

    def sign_up(who: str) -> tuple[int, str | None, str]:
        client = app.test_client()
        response = client.post("/register", data={
            "role": "donor", "contact": who, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        page = client.get(response.headers.get("Location", "/login")).get_data(as_text=True)
        # The flashed answer, without the form's CSRF token and the like.
        answer = page.split('role="status"')[-1].split("</")[0] if 'role="status"' in page \
            else page
        return response.status_code, response.headers.get("Location"), answer

    assert sign_up(contact) == sign_up(fresh)
    assert "注册已受理" in sign_up(fresh.replace("new", "new2").replace("139", "137"))[2]
    # Nothing was made for the taken contact, and the owner's password still works.
    owner = db.session.scalar(select(User).where(User.username == "owner-x"))
    assert user_count() == 3
    assert services.authenticate("owner-x", PASSWORD, "192.0.2.1", app.config) == owner
    # The administrator can see that somebody tried.
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration_repeated", AuditEntry.object_id == str(owner.id)))


def test_password_may_not_contain_the_username(app: Flask, regions: dict[str, str],
                                               client_for: Callable[..., FlaskClient]) -> None:
    make_user("root-admin", Role.ADMIN, None)
    client = client_for("root-admin")
    for password in ("wanglei-2024!", "2024-WangLei-x", "xxWANGLEIxx99"):
        response = client.post("/admin/users/new", data={
            "username": "wanglei", "role": "staff", "region_code": regions["county"],
            "password": password})
        assert response.status_code == 400, password
        assert_chinese_page(response.get_data(as_text=True), "密码不能包含用户名")
    assert db.session.scalar(select(User).where(User.username == "wanglei")) is None
    response = client.post("/admin/users/new", data={
        "username": "wanglei", "role": "staff", "region_code": regions["county"],
        "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_passwords_are_stored_with_a_slow_hash(app: Flask,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real hash here, not the fast one of tests/conftest.py
    user = make_user("donor-x", Role.DONOR, None)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_password_change_enforces_the_policy(client_for: Callable[..., FlaskClient],
                                             regions: dict[str, str]) -> None:
    user = make_user("staff-a", Role.STAFF, regions["county"])
    client = client_for("staff-a")
    old_hash = user.password_hash
    for current, new, message in [(PASSWORD, "short-1", "至少 10 个字符"),
                                  (PASSWORD, "password123", "太常见"),
                                  (PASSWORD, "my-staff-a-pass", "密码不能包含用户名"),
                                  ("wrong-current-1", NEW_PASSWORD, "当前密码不正确")]:
        response = client.post("/account/password",
                               data={"current_password": current, "new_password": new})
        assert response.status_code == 400, new
        assert_chinese_page(response.get_data(as_text=True), message)
    db.session.refresh(user)
    assert user.password_hash == old_hash


# --- throttling ------------------------------------------------------------------------------


def fail(client: FlaskClient, login: str, times: int, **kwargs: object) -> None:
    for _ in range(times):
        response = client.post("/login", data={"login": login, "password": "wrong-password-0"},
                               **kwargs)
        assert response.status_code == 400
        assert "用户名或密码不正确" in response.get_data(as_text=True)


def right(client: FlaskClient, login: str, address: str) -> int:
    response = client.post("/login", data={"login": login, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": address})
    return response.status_code


def test_account_and_address_together_are_throttled(app: Flask, client: FlaskClient,
                                                    regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    make_user("staff-b", Role.STAFF, regions["county"])
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    fail(client, "staff-a", limit)
    # Even the right password, from that address, waits.
    response = client.post("/login", data={"login": "staff-a", "password": PASSWORD})
    assert response.status_code == 429
    assert_chinese_page(response.get_data(as_text=True), "登录失败次数过多", "分钟后再试")
    assert client.get("/admin/").status_code == 302
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login_throttled"))
    # Another account from the same address is not slowed by it.
    assert app.test_client().post("/login", data={"login": "staff-b", "password": PASSWORD}
                                  ).status_code == 302
    # Once the window has passed, the right password works again.
    db.session.execute(update(LoginAttempt).values(at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert client.post("/login", data={"login": "staff-a", "password": PASSWORD}
                       ).status_code == 302


def test_a_stranger_cannot_lock_the_owner_out(app: Flask, client: FlaskClient,
                                              regions: dict[str, str]) -> None:
    """Usernames are predictable (admin, staff-<county>): failing on purpose must not lock
    the account for its owner, even the administrator's."""
    make_user("admin-x", Role.ADMIN, None)
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    fail(client, "admin-x", app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"],
         environ_base=stranger)
    assert right(client, "admin-x", "203.0.113.9") == 429
    assert right(app.test_client(), "admin-x", "198.51.100.7") == 302


def test_guessing_from_many_addresses_alerts_the_administrator_and_slows_each_address(
        app: Flask, client: FlaskClient, regions: dict[str, str],
        client_for: Callable[..., FlaskClient]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    alert = app.config["LOGIN_ALERT_FAILURES"]
    for n in range(alert + 3):
        fail(client, "staff-a", 1, environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"})
    alerts = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "login_alert")))
    assert len(alerts) == 1  # once a window, not once a failure
    assert alerts[0].object_id == "staff-a" and "来自 20 个地址" in alerts[0].detail
    # An address that just failed waits LOGIN_SLOW_SECONDS before its next try.
    assert right(client, "staff-a", "203.0.113.1") == 429
    # The owner, elsewhere, gets in at once: slowed, never locked out.
    assert right(app.test_client(), "staff-a", "198.51.100.7") == 302
    # After the delay the slowed address may try again.
    db.session.execute(update(LoginAttempt).values(
        at=utcnow() - timedelta(seconds=app.config["LOGIN_SLOW_SECONDS"] + 1)))
    db.session.commit()
    assert right(app.test_client(), "staff-a", "203.0.113.2") == 302
    # The province administrator is told, on the dashboard.
    make_user("root-admin", Role.ADMIN, None)
    body = client_for("root-admin").get("/admin/").get_data(as_text=True)
    assert "疑遭猜测密码" in body and "tile-urgent" in body


def test_the_owners_known_browser_is_not_slowed_by_its_network(
        app: Flask, regions: dict[str, str]) -> None:
    """A colleague guessing behind the same office address does not keep the owner out."""
    make_user("staff-a", Role.STAFF, regions["county"])
    office = "192.0.2.10"
    owner = app.test_client()
    assert right(owner, "staff-a", office) == 302  # the browser gets its device cookie
    assert owner.get_cookie("login_device", path="/login") is not None
    owner.post("/logout")
    colleague = app.test_client()
    fail(colleague, "staff-a", app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"],
         environ_base={"REMOTE_ADDR": office})
    assert right(colleague, "staff-a", office) == 429
    assert right(owner, "staff-a", office) == 302
    # A forged or borrowed cookie is no help.
    forged = app.test_client()
    forged.set_cookie("login_device", "forged-value", path="/login")
    assert right(forged, "staff-a", office) == 429


def test_the_known_browser_is_throttled_by_its_own_failures(app: Flask,
                                                           regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    owner = app.test_client()
    assert right(owner, "staff-a", "192.0.2.10") == 302
    owner.post("/logout")
    fail(owner, "staff-a", app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"],
         environ_base={"REMOTE_ADDR": "192.0.2.11"})
    assert right(owner, "staff-a", "192.0.2.12") == 429


def test_every_name_of_an_account_counts_against_it(app: Flask, client: FlaskClient) -> None:
    """Switching between username, email and phone gives an attacker no extra guesses."""
    make_user("donor-x", Role.DONOR, None, email="donor@example.cn", phone="13800138000")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    names = ["donor-x", "donor@example.cn", "13800138000", "DONOR-X", " Donor@Example.cn "]
    for n in range(limit):
        fail(client, names[n % len(names)], 1)
    for name in names:
        response = client.post("/login", data={"login": name, "password": PASSWORD})
        assert response.status_code == 429, name


def test_address_is_throttled_across_accounts(app: Flask, client: FlaskClient,
                                              regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for n in range(limit):
        fail(client, f"guess-{n}", 1, environ_base=attacker)
    response = client.post("/login", data={"login": "staff-a", "password": PASSWORD},
                           environ_base=attacker)
    assert response.status_code == 429
    # Somebody else, elsewhere, is not affected.
    other = app.test_client()
    assert other.post("/login", data={"login": "staff-a", "password": PASSWORD},
                      environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 302


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_request_rate_limit_on_login(client: FlaskClient) -> None:
    """Flask-Limiter on top of the account throttle: a flood of posts gets a Chinese 429."""
    statuses = [client.post("/login", data={}).status_code for _ in range(31)]
    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429
    assert_chinese_page(client.post("/login", data={}).get_data(as_text=True), "太频繁")


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_a_flood_from_the_owners_network_does_not_keep_the_owner_out(
        app: Flask, regions: dict[str, str]) -> None:
    make_user("staff-a", Role.STAFF, regions["county"])
    owner = app.test_client()
    assert right(owner, "staff-a", "127.0.0.1") == 302
    owner.post("/logout")
    flooder = app.test_client()
    statuses = [flooder.post("/login", data={}).status_code for _ in range(31)]
    assert statuses[-1] == 429
    assert right(owner, "staff-a", "127.0.0.1") == 302


# --- auditing --------------------------------------------------------------------------------


def test_login_and_failures_are_audited(client: FlaskClient, regions: dict[str, str]) -> None:
    user = make_user("staff-a", Role.STAFF, regions["county"])
    client.post("/login", data={"login": "staff-a", "password": "wrong-password-0"},
                environ_base={"REMOTE_ADDR": "192.0.2.44"})
    client.post("/login", data={"login": "nobody-at-all", "password": "wrong-password-0"})
    client.post("/login", data={"login": "staff-a", "password": PASSWORD},
                environ_base={"REMOTE_ADDR": "192.0.2.45"})
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    actions = [(e.action, e.object_id) for e in entries if e.action.startswith("login")]
    assert actions == [("login_failed", "staff-a"), ("login_failed", "nobody-at-all"),
                       ("login", str(user.id))]
    failed, _, success = [e for e in entries if e.action.startswith("login")]
    assert failed.address == "192.0.2.44" and failed.region_code == regions["county"]
    assert success.actor_id == user.id and success.address == "192.0.2.45"
    assert PASSWORD not in " ".join(e.detail + e.object_id for e in entries)
    assert "wrong-password-0" not in " ".join(e.detail + e.object_id for e in entries)


def test_logout_is_audited(client_for: Callable[..., FlaskClient],
                           regions: dict[str, str]) -> None:
    user = make_user("staff-a", Role.STAFF, regions["county"])
    client_for("staff-a").post("/logout")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "logout"))
    assert entry is not None and entry.actor_id == user.id
