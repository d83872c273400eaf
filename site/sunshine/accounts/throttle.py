"""Login throttling by account and address together: never a lock that a stranger can hold.

Failed logins are rows of ``LoginAttempt``, which every worker reads. Within the window
(``LOGIN_FAILURE_WINDOW_MINUTES``) a login is refused, even with the right password, when

- this address failed on this account ``LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS`` times;
- this address failed ``LOGIN_MAX_FAILURES_PER_ADDRESS`` times, on any accounts; or
- the account failed ``LOGIN_ALERT_FAILURES`` times from anywhere (somebody is guessing) and
  this address failed on it less than ``LOGIN_SLOW_SECONDS`` ago.

A stranger thus slows only the addresses he uses, and the account never locks. The browser
the owner logged in with before carries a signed device cookie; its attempts are counted by
device instead of address, so a guesser behind the same office network does not slow it
either. The third rule alerts the province administrator: an audit entry, once a window, that
the dashboard counts.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, select

from sunshine.accounts.models import LoginAttempt, User
from sunshine.audit import AuditEntry, record
from sunshine.database import utcnow
from sunshine.extensions import db

DEVICE_COOKIE = "login_device"
DEVICE_DAYS = 180


class LoginThrottled(RuntimeError):
    """Too many failed logins from here; try again in ``seconds``."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"try again in {seconds} s")
        self.seconds = seconds


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="login-device")


def device_token(user: User, current: str | None) -> str:
    """The device cookie's value after ``user`` logged in: the current one if it is theirs."""
    if current and device_of(current, user) is not None:
        return current
    return _serializer().dumps({"user": user.id, "device": secrets.token_hex(8)})


def _device_data(token: str | None) -> dict[str, Any] | None:
    if not token or len(token) > 200:
        return None
    try:
        data = _serializer().loads(token, max_age=DEVICE_DAYS * 86400)
    except BadData:
        return None
    device = data.get("device") if isinstance(data, dict) else None
    return data if isinstance(device, str) and len(device) == 16 else None


def known_browser(token: str | None) -> bool:
    """True for a valid device cookie of any account: a browser that logged in here before."""
    return _device_data(token) is not None


def device_of(token: str | None, user: User | None) -> str | None:
    """The device id in a valid cookie of ``user``, or None (no cookie, forged, another's)."""
    data = _device_data(token)
    if data is None or user is None or data.get("user") != user.id:
        return None
    return str(data["device"])


def _failures(since: Any, **match: str) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    for column, value in match.items():
        query = query.where(getattr(LoginAttempt, column) == value)
    return db.session.scalar(query) or 0


def check(key: str, address: str, device: str | None, limits: dict[str, Any]) -> None:
    """:raise LoginThrottled: when a rule of the module's docstring refuses this attempt."""
    window = timedelta(minutes=limits["LOGIN_FAILURE_WINDOW_MINUTES"])
    since = utcnow() - window
    wait = int(window.total_seconds())
    per_pair = limits["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]
    if device is not None:
        if _failures(since, username=key, device=device) >= per_pair:
            raise LoginThrottled(wait)
        return
    if (_failures(since, username=key, address=address) >= per_pair
            or _failures(since, address=address) >= limits["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        raise LoginThrottled(wait)
    if _failures(since, username=key) >= limits["LOGIN_ALERT_FAILURES"]:
        slow = timedelta(seconds=limits["LOGIN_SLOW_SECONDS"])
        if _failures(utcnow() - slow, username=key, address=address):
            raise LoginThrottled(int(slow.total_seconds()))


def failed(key: str, address: str, device: str | None, user: User | None,
           limits: dict[str, Any]) -> None:
    """Count a failure (the caller commits); alert the administrator the first time in a
    window that an existing account reaches ``LOGIN_ALERT_FAILURES``."""
    db.session.add(LoginAttempt(username=key, address=address, device=device or "",
                                success=False))
    db.session.flush()
    if user is None:
        return
    since = utcnow() - timedelta(minutes=limits["LOGIN_FAILURE_WINDOW_MINUTES"])
    failures = _failures(since, username=key)
    if failures < limits["LOGIN_ALERT_FAILURES"]:
        return
    alerted = db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "login_alert", AuditEntry.object_id == key,
        AuditEntry.at >= since).limit(1))
    if alerted is None:
        addresses = db.session.scalar(
            select(func.count(func.distinct(LoginAttempt.address))).where(
                LoginAttempt.username == key, LoginAttempt.success.is_(False),
                LoginAttempt.at >= since)) or 0
        record("login_alert", None, "user", key, user.region_code,
               f"{limits['LOGIN_FAILURE_WINDOW_MINUTES']} 分钟内登录失败 {failures} 次，"
               f"来自 {addresses} 个地址；每个地址每 {limits['LOGIN_SLOW_SECONDS']} 秒"
               "只能再试一次")
