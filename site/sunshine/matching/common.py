"""Pieces shared by the need and pledge services: the error, who handles a need, dates, the
public history."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from sunshine import pagecache
from sunshine.accounts.models import Role, Visitor
from sunshine.accounts.permissions import can_access_region
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import FieldError, PermissionDenied
from sunshine.matching.models import Need, NeedEvent

__all__ = ["MatchingError", "PermissionDenied"]

#: Staff roles that create and handle needs (督查 and editors do not).
HANDLER_ROLES = (Role.ADMIN, Role.STAFF)


class MatchingError(FieldError):
    """A rule refused the action; ``status`` is the HTTP status a view answers with (409 when
    someone else got there first)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message, field)
        self.status = status


def is_handler(user: Visitor, village_code: str) -> bool:
    """Admins and regional staff whose region holds the need's village."""
    return (getattr(user, "is_authenticated", False) and user.role in HANDLER_ROLES
            and can_access_region(user, village_code))


def check_handler(user: Visitor, village_code: str) -> None:
    """:raise PermissionDenied: not staff handling needs of this village."""
    if not is_handler(user, village_code):
        raise PermissionDenied(village_code)


def hold_days() -> int:
    """How long a pledge holds its share before delivery starts (``PLEDGE_HOLD_DAYS``)."""
    value = current_app.config.get("PLEDGE_HOLD_DAYS", 7)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 7


def hold_until(now: datetime) -> datetime:
    return now + timedelta(days=hold_days())


def add_event(need_id: int, text: str, at: datetime | None = None) -> None:
    """One line of the public history, in the caller's transaction; the need's pages change."""
    db.session.add(NeedEvent(need_id=need_id, text=text[:300], at=at or utcnow()))
    village = db.session.scalar(select(Need.village_code).where(Need.id == need_id))
    pagecache.changed("matching", village)


def mask_name(name: str) -> str:
    """张*明, 张*, 欧**华: how a register name is shown back in a warning."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
