"""Counting working days, and keeping the calendar.

A day is a working day from Monday to Friday, unless the calendar says otherwise: the State
Council publishes each year's public holidays and the weekend days worked in exchange (调休),
and the province adds its own (an ethnic festival, say). Province administrators enter them in
the back office (/admin/calendar/); until they do, every weekday counts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select

from sunshine import clock
from sunshine.accounts.models import User
from sunshine.audit import record
from sunshine.extensions import db
from sunshine.failures import FieldError
from sunshine.workdays.models import CalendarDay

When = TypeVar("When", date, datetime)

#: The years the back office accepts: deadlines of the register's years and the next ones.
FIRST_YEAR, LAST_YEAR = 2014, 2100
NAME_LENGTH = 40


class CalendarError(FieldError):
    """A calendar day that cannot be saved."""


def overrides(first: date, last: date) -> dict[date, bool]:
    """The calendar's days in [first, last]: True for a working day, False for a holiday."""
    return {day: working for day, working in db.session.execute(
        select(CalendarDay.day, CalendarDay.working).where(CalendarDay.day.between(first, last)))}


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days after ``start`` (``start`` itself not counted)."""
    span = 2 * days + 31  # the longest holiday runs (春节, 国庆) are 8 or 9 days
    known = overrides(start, start + timedelta(days=span))
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current > start + timedelta(days=span):  # a calendar of many holidays: read on
            span *= 2
            known = overrides(start, start + timedelta(days=span))
        if known.get(current, current.weekday() < 5):
            left -= 1
    return current


def add_days(start: When, days: int, working_days: bool = False) -> When:
    """``days`` calendar days after ``start``, or that many working days when
    ``working_days``. An instant keeps its time of day; its day is the China date."""
    if not working_days:
        return start + timedelta(days=days)
    if isinstance(start, datetime):
        day = clock.china_date(start) if start.tzinfo else start.date()
    else:
        day = start
    return start + (add_working_days(day, days) - day)


# --- the back office -------------------------------------------------------------------------


def days_of(year: int) -> list[CalendarDay]:
    return list(db.session.execute(
        select(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(CalendarDay.day)).scalars())


def years_entered() -> list[int]:
    days = db.session.execute(select(CalendarDay.day)).scalars()
    return sorted({day.year for day in days})


def save_day(actor: User, day: date, working: bool, name: str) -> CalendarDay:
    """Add a day, or change one already there (its kind or name). The caller commits.

    A holiday may fall on a weekend (the notices give whole runs: "1月1日至3日放假"): it
    changes nothing in the count, but the calendar then reads as the notice does.

    :raise CalendarError: a year out of range, a working day from Monday to Friday (they
        are working days anyway), or a missing or long name.
    """
    name = name.strip()
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarError(f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间", "day")
    if working and day.weekday() < 5:
        raise CalendarError("周一至周五本来就是工作日，只有周末才需要登记调休上班", "kind")
    if not name or len(name) > NAME_LENGTH:
        raise CalendarError(f"请填写节日名称（{NAME_LENGTH} 字以内）", "name")
    entry = db.session.get(CalendarDay, day)
    before = None if entry is None else f"{entry.kind_label}（{entry.name}）"
    if entry is None:
        entry = CalendarDay(day=day)
        db.session.add(entry)
    entry.working, entry.name = working, name
    after = f"{entry.kind_label}（{name}）"
    record("calendar_day_saved", actor, "calendar_day", day.isoformat(), None,
           after if before is None else f"{before} → {after}")
    return entry


def remove_day(actor: User, day: date) -> bool:
    """Remove a day from the calendar (it counts by the weekday again); False when it was not
    there. The caller commits."""
    entry = db.session.get(CalendarDay, day)
    if entry is None:
        return False
    record("calendar_day_removed", actor, "calendar_day", day.isoformat(), None,
           f"{entry.kind_label}（{entry.name}）")
    db.session.delete(entry)
    return True
