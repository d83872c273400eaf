"""Small functions that make test objects with sensible defaults."""

from __future__ import annotations

from typing import Any

from sunshine.accounts.models import Role, User
from sunshine.accounts.services import create_user
from sunshine.extensions import db
from tests.conftest import SAMPLE

PASSWORD = "correct-horse-battery-9"


def make_user(username: str = "staff-a", role: Role | str = Role.STAFF,
              region_code: str | None = SAMPLE["county"], **extra: Any) -> User:
    user = create_user(username, extra.pop("password", PASSWORD), role, region_code, **extra)
    db.session.commit()
    return user
