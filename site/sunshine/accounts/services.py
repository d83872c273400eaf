"""Account rules: creating users, password policy, login with throttling, ending sessions."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from sunshine.accounts import throttle
from sunshine.accounts.models import PUBLIC_ROLES, STAFF_ROLES, LoginAttempt, Role, User
from sunshine.accounts.throttle import LoginThrottled
from sunshine.audit import record
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import FieldError
from sunshine.regions import codes
from sunshine.regions.models import Region

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.\-]{1,189}\.[A-Za-z]{2,}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# scrypt is werkzeug's default; spelled out so a library change cannot weaken it silently.
HASH_METHOD = "scrypt:32768:8:1"


class AccountError(FieldError):
    """A rule about accounts was broken."""


@cache
def _common_passwords() -> frozenset[str]:
    text = (Path(__file__).parent / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def check_password_policy(password: str, username: str = "") -> None:
    """:raise AccountError: when the password is short, common or easy to guess."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符", "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符", "password")
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) < 4:
        raise AccountError("这个密码太常见或太简单，请换一个更难猜的密码", "password")
    if username and len(username) >= 3 and username.lower() in lowered:
        raise AccountError("密码不能包含用户名", "password")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def _check_region(role: Role, region_code: str | None) -> str | None:
    if role in PUBLIC_ROLES:
        return None
    if role == Role.ADMIN and not region_code:
        return None
    if not region_code:
        raise AccountError("工作人员账号必须指定所属区划", "region_code")
    try:
        region_code = codes.normalise(region_code)
    except codes.InvalidCode as exc:
        raise AccountError(str(exc), "region_code") from exc
    if db.session.get(Region, region_code) is None:
        raise AccountError(f"区划 {region_code} 不存在", "region_code")
    return region_code


def create_user(
    username: str,
    password: str,
    role: Role | str,
    region_code: str | None = None,
    display_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    actor: User | None = None,
) -> User:
    """Create an account after checking every rule; the caller commits.

    :raise AccountError: on a taken name, a weak password or a missing/unknown region.
    """
    role = Role(role)
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise AccountError("用户名为 3–64 位字母、数字、下划线、点或短横线", "username")
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AccountError("该用户名已被使用", "username")
    if email and db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError("该邮箱已注册", "email")
    if phone and db.session.scalar(select(User.id).where(User.phone == phone)):
        raise AccountError("该手机号已注册", "phone")
    check_password_policy(password, username)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        email=email or None,
        phone=phone or None,
        password_hash=hash_password(password),
        role=role,
        region_code=_check_region(role, region_code),
    )
    db.session.add(user)
    db.session.flush()
    record("user_created", actor, "user", user.id, user.region_code,
           f"{user.username}（{role.label}）")
    return user


def register_public_user(contact: str, password: str, role: Role | str,
                         display_name: str = "") -> User | None:
    """Self-registration for donors and sellers with an email or a mobile number.

    Returns None, having created nothing, when the contact is registered already: the caller
    answers exactly as for a new account, so that the form cannot be used to learn who has an
    account. The password is checked and hashed all the same, so the answer takes as long.

    :raise AccountError: for a staff role, a bad contact or a weak password.
    """
    role = Role(role)
    if role not in PUBLIC_ROLES:
        raise AccountError("只能注册爱心人士或销售主体账号", "role")
    contact = contact.strip()
    email = phone = None
    if PHONE_RE.match(contact):
        phone = contact
        username = f"u{contact}"
    elif EMAIL_RE.match(contact) and len(contact.lower()) <= 254:
        email = contact.lower()
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", email.split("@")[0])[:40]
        # li@163.com is a fine address but "li" is too short for a username.
        username = _free_username(base if len(base) >= 3 else f"user-{base}".rstrip("-"))
    else:
        raise AccountError("请填写有效的邮箱或 11 位手机号", "contact")
    existing = db.session.scalar(select(User.id).where(
        User.phone == phone if phone else User.email == email))
    if existing is not None:
        check_password_policy(password, username)
        hash_password(password)
        record("registration_repeated", None, "user", existing)
        return None
    user = create_user(username, password, role, display_name=display_name or "爱心人士"
                       if role == Role.DONOR else display_name, email=email, phone=phone)
    record("user_registered", user, "user", user.id)
    return user


def _free_username(base: str) -> str:
    candidate, n = base, 1
    # Case-insensitive, like the check in create_user.
    while db.session.scalar(select(User.id).where(func.lower(User.username) == candidate.lower())):
        n += 1
        candidate = f"{base}{n}"
    return candidate


def find_login_user(login: str) -> User | None:
    """Staff log in with a username; donors and sellers may also use their email or phone."""
    login = login.strip()
    # Demo county accounts are staff-<12-digit code>; accept the 6-digit county form too.
    short = re.fullmatch(r"staff-(\d{6})", login)
    if short:
        login = f"staff-{short.group(1)}000000"
    return db.session.execute(
        select(User).where(or_(func.lower(User.username) == login.lower(),
                               User.email == login.lower(), User.phone == login))
    ).scalars().first()


def authenticate(login: str, password: str, address: str, limits: dict[str, Any],
                 device_cookie: str | None = None) -> User:
    """Check a login, record the attempt and audit it.

    Failures slow the address that makes them, per account and overall, and the owner's own
    browser by its device cookie (see ``throttle``); while slowed, even a right password is
    refused, so guessing gains nothing.

    :raise LoginThrottled: too many recent failures from here.
    :raise AccountError: wrong name or password (one message for both).
    """
    login = login.strip()[:64]
    address = address[:64]
    user = find_login_user(login)
    # Failures count against the account whichever of its names was typed (username, email,
    # phone), so switching between them gains no guesses. Lower case can be longer: cut after.
    key = (user.username if user else login).lower()[:64]
    device = throttle.device_of(device_cookie, user)
    try:
        throttle.check(key, address, device, limits)
    except LoginThrottled:
        record("login_throttled", None, "user", login, user.region_code if user else None,
               detail=f"来源 {address}")
        db.session.commit()
        raise
    # Hash anyway when the user is unknown so that timing does not reveal which names exist.
    stored = user.password_hash if user else _dummy_hash()
    ok = check_password_hash(stored, password) and user is not None and user.active
    if not ok:
        throttle.failed(key, address, device, user, limits)
        record("login_failed", None, "user", login, user.region_code if user else None)
        db.session.commit()
        raise AccountError("用户名或密码不正确")
    assert user is not None
    db.session.add(LoginAttempt(username=key, address=address, device=device or "",
                                success=True))
    user.last_login_at = utcnow()
    record("login", user, "user", user.id, user.region_code)
    db.session.commit()
    return user


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password-0")


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember cookie of this user (caller commits)."""
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    """:raise AccountError: wrong current password or a new one that breaks the policy."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("当前密码不正确", "current_password")
    check_password_policy(new, user.username)
    user.password_hash = hash_password(new)
    end_all_sessions(user)
    record("password_changed", user, "user", user.id, user.region_code)
    db.session.commit()


def list_users(role: Role | None = None) -> list[User]:
    query = select(User).order_by(User.role, User.region_code, User.username)
    if role:
        query = query.where(User.role == role)
    return list(db.session.execute(query).scalars())


def set_active(user: User, active: bool, actor: User) -> None:
    user.active = active
    if not active:
        end_all_sessions(user)
    record("user_updated", actor, "user", user.id, user.region_code,
           "启用" if active else "停用")
    db.session.commit()


def staff_roles() -> list[Role]:
    return [r for r in Role if r in STAFF_ROLES]
