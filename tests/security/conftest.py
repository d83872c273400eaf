"""Helpers for the security tests: counting rows and checking error pages."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from sunshine.accounts.models import LoginAttempt, User
from sunshine.audit import AuditEntry
from sunshine.extensions import db

#: Words that only a Python traceback or a debugger page would show.
TRACEBACK_MARKERS = ("Traceback", "File \"", "werkzeug.debug", "Werkzeug Debugger",
                     "sqlalchemy.exc", "Exception:", "Error:")
HAN = re.compile(r"[\u4e00-\u9fff]")


def count(model: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def user_count() -> int:
    return count(User)


def audit_count() -> int:
    return count(AuditEntry)


def attempt_count() -> int:
    return count(LoginAttempt)


def assert_chinese_page(body: str, *fragments: str) -> None:
    """The page speaks Chinese, names the problem and shows no traceback."""
    assert HAN.search(body), body[:500]
    for fragment in fragments:
        assert fragment in body, f"{fragment!r} not in page"
    for marker in TRACEBACK_MARKERS:
        assert marker not in body, f"{marker!r} leaked into the page"


