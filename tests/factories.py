"""Small functions that make test objects with sensible defaults."""

from __future__ import annotations

from typing import Any

from sunshine.accounts.models import Role, User
from sunshine.accounts.services import create_user
from sunshine.extensions import db

PASSWORD = "correct-horse-battery-9"


def make_user(username: str = "staff-a", role: Role | str = Role.STAFF,
              region_code: str | None = "450102000000", **extra: Any) -> User:
    user = create_user(username, extra.pop("password", PASSWORD), role, region_code, **extra)
    db.session.commit()
    return user
