"""The legal clock of a notice: minimum periods by kind, the period's instants, the state.

Days are China dates. A notice of N days starting on day D runs through the end of its last
day and closes at the start of the next; with ``NOTICE_PERIOD_WORKING_DAYS`` the N days are
working days (those of the working-day calendar, ``sunshine.workdays``) and a start on a day
off counts from the next working day. ``now()`` is the one clock every service and view
reads, so that tests can freeze it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol

from flask import current_app

from sunshine.clock import china_date, day_start
from sunshine.database import utcnow
from sunshine.notices.models import Notice, NoticeKind, NoticeState
from sunshine.workdays.services import add_days


def now() -> datetime:
    """The current instant (UTC). Tests replace this function to freeze the clock."""
    return utcnow()


def minimum_days(kind: NoticeKind) -> int:
    """The configured minimum period of a kind (0 for a result announcement)."""
    if kind is NoticeKind.RESULT:
        return 0
    return int(current_app.config["NOTICE_PERIOD_DAYS"][kind.value])


def working_days() -> bool:
    return bool(current_app.config["NOTICE_PERIOD_WORKING_DAYS"])


def minimum_end(kind: NoticeKind, start: date) -> date:
    """The earliest last day of a notice of ``kind`` starting on ``start``."""
    days = minimum_days(kind)
    if days <= 0:
        return start
    # Counting from the day before makes the start day itself the first day of the period.
    before = datetime.combine(start - timedelta(days=1), time(12))
    return add_days(before, days, working_days()).date()


def set_period(notice: Notice, start: date, end: date) -> None:
    notice.start_on, notice.end_on = start, end
    notice.starts_at = day_start(start)
    notice.ends_at = day_start(end + timedelta(days=1))


class Dated(Protocol):
    """What the clock reads of a notice: a ``Notice`` or a row of one (``notices.public``)."""

    @property
    def kind(self) -> NoticeKind: ...
    @property
    def start_on(self) -> date: ...
    @property
    def end_on(self) -> date: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def announced_at(self) -> datetime | None: ...
    @property
    def withdrawn_at(self) -> datetime | None: ...


def state_of(notice: Dated, at: datetime | None = None) -> NoticeState:
    """Where the notice stands at ``at`` (default: now). Drafts are 待发布 too."""
    at = at or now()
    if notice.withdrawn_at is not None:
        return NoticeState.WITHDRAWN
    if notice.kind is NoticeKind.RESULT and notice.published_at is not None:
        return NoticeState.ANNOUNCED
    if notice.announced_at is not None:
        return NoticeState.ANNOUNCED
    if notice.published_at is None or at < notice.starts_at:
        return NoticeState.PENDING
    if at < notice.ends_at:
        return NoticeState.OPEN
    return NoticeState.EXPIRED


def days_left(notice: Dated, at: datetime | None = None) -> int:
    """Days of the period still to run, today included (0 once it has ended)."""
    today = china_date(at or now())
    return max((notice.end_on - today).days + 1, 0)


def days_until_start(notice: Dated, at: datetime | None = None) -> int:
    return max((notice.start_on - china_date(at or now())).days, 0)
