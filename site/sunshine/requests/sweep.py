"""The clock's periodic work, run by ``sunshine requests overdue`` from cron and by the back
office's list (so a site without cron still does it): flag requests past their answer deadline,
close those whose 补正 the applicant left unanswered past ``REQUEST_AMEND_REPLY_DAYS``, and
remove answer files kept for forms that have expired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from sunshine import pagecache
from sunshine.audit import record
from sunshine.clock import today
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.requests import handling, indexing, periods, staging
from sunshine.requests.mail import tell_applicant
from sunshine.requests.models import RUNNING, EventType, InfoRequest, Outcome, RequestEvent, Status


def mark_overdue(now: datetime | None = None) -> int:
    """Flag running requests past their deadline (once each); returns how many.

    Part of :func:`run`.
    """
    now = now or utcnow()
    late = list(db.session.execute(select(InfoRequest).where(
        InfoRequest.status.in_(RUNNING), InfoRequest.deadline < today(now),
        InfoRequest.was_overdue.is_(False))).scalars())
    for request in late:
        request.was_overdue, request.updated_at = True, now
        event = RequestEvent(type=EventType.OVERDUE, text="已超过答复期限，正在督办。", public=True,
                             at=now)
        request.events.append(event)
        tell_applicant(request, event)
        pagecache.changed("requests", request.office_region_code)
        record("request_overdue", None, "info_request", request.id,
               request.office_region_code, "逾期")
    if late:
        db.session.commit()
    return len(late)


LAPSE_TEXT = "申请人在补正期限内未补正，依照《政府信息公开条例》第三十条视为放弃申请，本申请办结。"


def lapse_unamended(now: datetime | None = None) -> int:
    """Close the requests whose 补正 the applicant left unanswered past
    ``REQUEST_AMEND_REPLY_DAYS`` (视为放弃申请), telling the applicant; returns how many.

    Run with the overdue sweep. Closed requests leave the 补正 state, so a second run finds
    nothing: the sweep is idempotent.
    """
    now = now or utcnow()
    day = today(now)
    waiting = db.session.execute(select(InfoRequest).where(
        InfoRequest.status == Status.AMEND, InfoRequest.amend_asked_on < day)
        .order_by(InfoRequest.id)).scalars()
    lapsed = [r for r in waiting
              if (end := periods.amend_lapses_on(r)) is not None and day > end]
    for request in lapsed:
        handling.close(request, handling.Answer(Outcome.LAPSED, "no_amend", LAPSE_TEXT), now)
        request.updated_at = now
        event = RequestEvent(type=EventType.ANSWERED, public=True, at=now, text=(
            f"已办结：{Outcome.LAPSED.label}（《政府信息公开条例》第三十条）。"))
        request.events.append(event)
        tell_applicant(request, event)
        pagecache.changed("requests", request.office_region_code)
        record("request_lapsed", None, "info_request", request.id,
               request.office_region_code, "逾期未补正")
    if lapsed:
        indexing.reindex(lapsed)
        db.session.commit()
    return len(lapsed)


def run(now: datetime | None = None) -> tuple[int, int]:
    """The clock's periodic work: (requests newly overdue, unanswered 补正 requests closed);
    kept answer files nobody used go too."""
    now = now or utcnow()
    staging.sweep()  # by the files' own (wall-clock) times
    return mark_overdue(now), lapse_unamended(now)
