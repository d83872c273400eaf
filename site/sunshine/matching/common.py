"""Pieces shared by the need and pledge services: the error, who handles a need, dates, the
public history."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from sunshine import pagecache
from sunshine.accounts.models import Role, User, Visitor
from sunshine.accounts.permissions import can_access_region
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import FieldError, PermissionDenied
from sunshine.matching.models import Need, NeedEvent, Pledge, PledgeState
from sunshine.notify.events import announce
from sunshine.notify.outbox import tell

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


def add_event(need_id: int, text: str, at: datetime | None = None,
              tell_donors: bool = False, pledge_id: int | None = None) -> None:
    """One line of the public history, in the caller's transaction; the need's pages change
    and its followers are told. With ``tell_donors`` (thanks) so is every donor whose pledge is
    still on, by the e-mail of their account; with ``pledge_id`` (its delivery and receipt),
    that pledge's donor."""
    db.session.add(NeedEvent(need_id=need_id, text=text[:300], at=at or utcnow()))
    village, title = db.session.execute(
        select(Need.village_code, Need.title).where(Need.id == need_id)).one()
    pagecache.changed("matching", village)
    link = f"/help/{need_id}"
    announce(f"爱心帮扶进展：{title}", link, about=("need", str(need_id)), lines=[text], now=at)
    if tell_donors or pledge_id is not None:
        donors = select(User.email).join(Pledge, Pledge.donor_id == User.id).where(
            Pledge.need_id == need_id, User.email.is_not(None),
            Pledge.state.not_in([PledgeState.CANCELLED.value, PledgeState.EXPIRED.value]))
        if pledge_id is not None:
            donors = donors.where(Pledge.id == pledge_id)
        for email in db.session.scalars(donors.distinct()):
            if email:
                tell_donor(email, need_id, title, text, at)


def tell_donor(email: str, need_id: int, title: str, text: str,
               at: datetime | None = None) -> None:
    """One line of a need's history, mailed to a donor who pledged to it."""
    tell(email, f"您认领的爱心帮扶有新进展：{title}"[:200], [text], f"/help/{need_id}",
         "查看这项需求", kind="donor", now=at)


def mask_name(name: str) -> str:
    """张*明, 张*, 欧**华: how a register name is shown back in a warning."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
