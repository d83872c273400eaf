"""The legal clock of a request, from the working-day calendar.

The office answers within ``REQUEST_REPLY_DAYS`` of the day the clock starts (the day after
receipt is the first day counted). It may extend once by up to ``REQUEST_EXTENSION_DAYS``.
Asking for 补正 stops the clock; the applicant's answer starts it again from the beginning.
The time a third party is consulted is not counted, up to ``REQUEST_CONSULT_DAYS``: while the
consultation runs, the deadline already includes the whole allowance, and when it ends only the
working days it took are kept. Every period is configuration, in working days by default.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app

from sunshine.requests.models import InfoRequest, Status
from sunshine.workdays.services import add_days, overrides


def setting(name: str) -> int:
    return int(current_app.config[f"REQUEST_{name}_DAYS"])


def working() -> bool:
    return bool(current_app.config["REQUEST_WORKING_DAYS"])


def after(start: date, days: int) -> date:
    """``days`` counted days after ``start`` (working days unless configured otherwise)."""
    return add_days(start, days, working())


def days_between(first: date, last: date) -> int:
    """Counted days after ``first`` up to and including ``last`` (0 when ``last <= first``)."""
    if last <= first:
        return 0
    if not working():
        return (last - first).days
    known = overrides(first, last)
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        if known.get(day, day.weekday() < 5):
            count += 1
    return count


def deadline_of(request: InfoRequest) -> date:
    """The day the answer is due, from the clock's start and what has been added to it."""
    days = setting("REPLY") + request.extension_days + request.paused_days
    if request.status is Status.CONSULTING:
        days += max(setting("CONSULT") - request.paused_days, 0)
    return after(request.clock_start, days)


def amend_window_end(request: InfoRequest) -> date:
    """The last day the office may still ask for 补正 (counted from receipt)."""
    return after(request.clock_start, setting("AMEND_WITHIN"))


def amend_lapses_on(request: InfoRequest) -> date | None:
    """The day after which an unanswered 补正 request lets the office close the request."""
    if request.amend_asked_on is None:
        return None
    return after(request.amend_asked_on, setting("AMEND_REPLY"))


def days_left(request: InfoRequest, today: date) -> int:
    """Counted days until the deadline; negative when it has passed."""
    if request.deadline >= today:
        return days_between(today, request.deadline)
    return -days_between(request.deadline, today)
