"""Handling in the back office: the state machine, routing on transfer, internal notes, the
moderation queue, the overdue sweep, the oversight view of identities, and publishing a Q&A.

Every function checks the actor's role and region itself and writes the audit log in the same
transaction as the change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, false, func, select

from sunshine import pagecache
from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import can_access_region, check_region, region_scope
from sunshine.audit import record
from sunshine.complaints import followup, indexing
from sunshine.complaints.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseReporter,
    EventType,
    Kind,
    Moderation,
    Status,
)
from sunshine.complaints.services import CaseError, reply_deadline
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.guard import check_publishable
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.tracked import sealing

log = logging.getLogger(__name__)

#: Roles that handle cases. Oversight (督查) reads every case in its region and may see who
#: filed it; editors have no business here.
HANDLERS = frozenset({Role.ADMIN, Role.STAFF})
READERS = frozenset({Role.ADMIN, Role.STAFF, Role.OVERSIGHT})

#: The handling state machine (see docs/decisions.md). Reopening by the reporter and the
#: overdue sweep are separate paths.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.ACCEPTED, Status.REJECTED, Status.TRANSFERRED}),
    Status.TRANSFERRED: frozenset({Status.ACCEPTED, Status.REJECTED, Status.TRANSFERRED}),
    Status.OVERDUE: frozenset({Status.ACCEPTED, Status.REJECTED, Status.IN_PROGRESS,
                               Status.REPLIED, Status.TRANSFERRED}),
    Status.ACCEPTED: frozenset({Status.IN_PROGRESS, Status.REPLIED, Status.TRANSFERRED}),
    Status.IN_PROGRESS: frozenset({Status.REPLIED, Status.TRANSFERRED}),
    Status.REPLIED: frozenset({Status.CLOSED}),
    Status.REJECTED: frozenset(),
    Status.CLOSED: frozenset(),
}


def can_read(case: Case, user: User) -> bool:
    """True when the user may read the case's text: a reader role over the region that
    handles it. Staff of the unit a case is about sit below that region, so they may not."""
    return user.role in READERS and can_access_region(user, case.handling_region_code)


def readable(case: Case, user: User) -> None:
    """:raise PermissionDenied: the user may not see this case (role, or another region)."""
    if not can_read(case, user):
        raise PermissionDenied(case.handling_region_code)


def _handler(case: Case, user: User) -> None:
    if user.role not in HANDLERS:
        raise PermissionDenied(case.handling_region_code)
    check_region(user, case.handling_region_code)


def _step(case: Case, actor: User, to: Status, text: str, action: str,
          now: datetime | None = None, public: bool = True, tell: bool = True) -> CaseEvent:
    _handler(case, actor)
    if case.moderation is not Moderation.NONE:
        raise CaseError("这条内容在待审核队列中，请先审核通过")
    if to not in TRANSITIONS[case.status]:
        raise CaseError(f"“{case.status.label}”的案件不能直接改为“{to.label}”")
    now = now or utcnow()
    case.status, case.updated_at = to, now
    event = CaseEvent(type=EventType.STATUS, status=to, text=text, public=public,
                      actor_id=actor.id, unit_code=case.handling_region_code, at=now)
    case.events.append(event)
    pagecache.changed("complaints", case.region_code)
    record(action, actor, "complaint", case.id, case.handling_region_code, to.label)
    if public and tell:
        followup.tell_followers(case, to.label, [text], now)
    return event


def accept(case: Case, actor: User, text: str = "", now: datetime | None = None) -> None:
    _step(case, actor, Status.ACCEPTED, text.strip() or "已受理，正在安排办理。",
          "complaint_accepted", now)
    db.session.commit()


def reject(case: Case, actor: User, reason: str, redirect_to: str,
           now: datetime | None = None) -> None:
    """不予受理 needs the reason and where the reporter can go instead."""
    if not reason.strip():
        raise CaseError("请写明不予受理的理由", "reason")
    if not redirect_to.strip():
        raise CaseError("请告诉群众可以到哪里反映（单位、电话或网址）", "redirect_to")
    check_publishable(reason, redirect_to)
    now = now or utcnow()
    _step(case, actor, Status.REJECTED,
          f"不予受理。理由：{reason.strip()}。建议：{redirect_to.strip()}", "complaint_rejected",
          now)
    case.rejection_reason, case.redirect_to = reason.strip(), redirect_to.strip()[:300]
    # 不予受理 with a reason is an answer too: it counts for the deadline and the statistics.
    case.first_replied_at = case.first_replied_at or now
    db.session.commit()


def start(case: Case, actor: User, text: str = "", now: datetime | None = None) -> None:
    _step(case, actor, Status.IN_PROGRESS, text.strip() or "正在调查核实。",
          "complaint_in_progress", now)
    db.session.commit()


def transfer(case: Case, actor: User, to_region_code: str, reason: str,
             now: datetime | None = None) -> None:
    """已转办: hand the case to another unit (town level or above). The deadline stays: the
    reporter should not wait longer because the case changed desks.

    :raise CaseError: no such unit, the same unit, a village, or (for a case about village or
        town cadres) a unit below the county.
    """
    target = db.session.get(Region, to_region_code) if codes.CODE_RE.match(to_region_code or "") \
        else None
    if target is None:
        raise CaseError("没有这个区划", "region")
    if target.level > 4:
        raise CaseError("只能转给乡镇或以上的单位", "region")
    if case.about_local_cadres and target.level > 3:
        raise CaseError("这个案件反映的是村或乡镇干部，只能转给县级或以上的单位", "region")
    if target.code == case.handling_region_code:
        raise CaseError("已经由这个单位办理", "region")
    if not reason.strip():
        raise CaseError("请说明转办的理由", "reason")
    _step(case, actor, Status.TRANSFERRED, f"已转交{target.name}办理。{reason.strip()}",
          "complaint_transferred", now)
    record("complaint_received", actor, "complaint", case.id, target.code,
           f"由{case.handling_region.name}转来")
    case.handling_region_code = target.code
    db.session.commit()


def reply(case: Case, actor: User, text: str, now: datetime | None = None) -> None:
    """The official answer, read by the reporter (and, if published, by everyone).

    :raise PersonalDataFound: the text holds an ID, phone or bank card number.
    """
    if not text.strip():
        raise CaseError("请填写答复内容", "text")
    check_publishable(text)
    now = now or utcnow()
    _step(case, actor, Status.REPLIED, "已答复。", "complaint_replied", now, tell=False)
    followup.tell_followers(case, Status.REPLIED.label, ["答复内容：", text.strip()], now)
    pagecache.changed("complaints", case.region_code)
    case.events.append(CaseEvent(type=EventType.REPLY, text=text.strip(), public=True,
                                 actor_id=actor.id, unit_code=case.handling_region_code, at=now))
    case.first_replied_at = case.first_replied_at or now
    case.replied_at = now
    db.session.commit()


def close(case: Case, actor: User, text: str = "", now: datetime | None = None) -> None:
    now = now or utcnow()
    _step(case, actor, Status.CLOSED, text.strip() or "案件办结。", "complaint_closed", now)
    case.closed_at = now
    db.session.commit()


def add_note(case: Case, actor: User, text: str, now: datetime | None = None) -> None:
    """Internal notes: for colleagues only, never shown to the reporter or published."""
    _handler(case, actor)
    if not text.strip():
        raise CaseError("请填写备注内容", "text")
    case.events.append(CaseEvent(type=EventType.NOTE, text=text.strip(), public=False,
                                 actor_id=actor.id, unit_code=case.handling_region_code,
                                 at=now or utcnow()))
    record("complaint_note", actor, "complaint", case.id, case.handling_region_code, "内部备注")
    db.session.commit()


def moderate(case: Case, actor: User, spam: bool, now: datetime | None = None) -> None:
    """Release a held case into normal handling, or confirm it as spam (不予受理, and left out
    of the statistics)."""
    _handler(case, actor)
    if case.moderation is not Moderation.HELD:
        raise CaseError("这条内容不在待审核队列中")
    now = now or utcnow()
    if spam:
        case.moderation, case.status, case.updated_at = Moderation.SPAM, Status.REJECTED, now
        case.rejection_reason = "内容与扶贫工作无关或为广告信息"
        case.events.append(CaseEvent(type=EventType.STATUS, status=Status.REJECTED, at=now,
                                     text="不予受理：内容与扶贫工作无关。", public=True,
                                     actor_id=actor.id, unit_code=case.handling_region_code))
        pagecache.changed("complaints", case.region_code)
        record("complaint_spam", actor, "complaint", case.id, case.handling_region_code, "垃圾信息")
    else:
        case.moderation, case.updated_at = Moderation.NONE, now
        # The reply clock starts when a person has looked at it.
        case.deadline = max(case.deadline, reply_deadline(now))
        pagecache.changed("complaints", case.region_code)
        record("complaint_released", actor, "complaint", case.id, case.handling_region_code,
               "审核通过")
    db.session.commit()


def mark_overdue(now: datetime | None = None) -> int:
    """Flag open cases past their deadline as 逾期 (once per case); returns how many.

    Run by ``sunshine complaints overdue`` from cron, and by the back office's list.
    """
    now = now or utcnow()
    late = list(db.session.execute(select(Case).where(
        Case.status.in_(OPEN_STATUSES), Case.deadline < now, Case.was_overdue.is_(False),
        Case.moderation == Moderation.NONE)).scalars())
    for case in late:
        case.was_overdue, case.status, case.updated_at = True, Status.OVERDUE, now
        case.events.append(CaseEvent(type=EventType.STATUS, status=Status.OVERDUE, at=now,
                                     text="已超过答复期限，正在督办。", public=True,
                                     unit_code=case.handling_region_code))
        pagecache.changed("complaints", case.region_code)
        record("complaint_overdue", None, "complaint", case.id, case.handling_region_code, "逾期")
    if late:
        db.session.commit()
    return len(late)


def view_reporter(case: Case, actor: User) -> dict[str, str]:
    """The reporter's name and phone, for the oversight role only; each view is logged.

    The log entry is filed under the province, not the handling unit, so the unit's staff
    cannot even tell that someone looked.

    :raise PermissionDenied: anybody but oversight, or outside its region.
    """
    if actor.role is not Role.OVERSIGHT:
        raise PermissionDenied(case.handling_region_code)
    check_region(actor, case.handling_region_code)
    row = db.session.scalar(select(CaseReporter).where(CaseReporter.case_id == case.id))
    if row is None:
        raise CaseError("这是匿名反映的案件，没有留下身份信息")
    return sealing.reveal(row.sealed, ("name", "phone"), actor=actor,
                          action="complaint_reporter_viewed", object_type="complaint",
                          object_id=case.id, detail="查看反映人身份")


# --- published Q&A -------------------------------------------------------------------------


def publish_answer(case: Case, actor: User, title: str, question: str, answer: str,
                   now: datetime | None = None, reindex: bool = True) -> None:
    """Publish the anonymized question and the official reply, with the reporter's consent.

    :raise CaseError: no consent, no reply yet, or an empty field.
    :raise PersonalDataFound: an ID, phone or bank card number is left in the text.
    """
    _handler(case, actor)
    if not case.consent_to_publish:
        raise CaseError("反映人没有同意公开，不能发布")
    if case.status not in (Status.REPLIED, Status.CLOSED) or case.moderation is not Moderation.NONE:
        raise CaseError("答复之后才能公开")
    for value, name in ((title, "title"), (question, "question"), (answer, "answer")):
        if not value.strip():
            raise CaseError("此项为必填", name)
    check_publishable(title, question, answer)
    now = now or utcnow()
    case.public_title, case.public_question = title.strip()[:100], question.strip()
    case.public_answer, case.published_at, case.updated_at = answer.strip(), now, now
    pagecache.changed("complaints", case.region_code)
    record("complaint_published", actor, "complaint", case.id, case.handling_region_code,
           case.public_title)
    if reindex:
        indexing.reindex([case])
    db.session.commit()


def unpublish_answer(case: Case, actor: User) -> None:
    _handler(case, actor)
    if case.published_at is None:
        raise CaseError("这个案件没有公开")
    case.published_at = None
    pagecache.changed("complaints", case.region_code)
    record("complaint_unpublished", actor, "complaint", case.id, case.handling_region_code, "")
    indexing.reindex([case])
    db.session.commit()


# --- back-office queries -------------------------------------------------------------------


@dataclass
class AdminFilters:
    status: Status | None = None
    kind: Kind | None = None
    overdue: bool = False
    held: bool = False


def admin_query(user: User, filters: AdminFilters, now: datetime | None = None
                ) -> Select[tuple[Case]]:
    """Cases routed into the user's region; the moderation queue only when asked for."""
    now = now or utcnow()
    query = select(Case).where(region_scope(user, Case.handling_region_code))
    if user.role not in READERS:
        query = query.where(false())
    if filters.held:
        query = query.where(Case.moderation == Moderation.HELD)
    else:
        query = query.where(Case.moderation == Moderation.NONE)
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.kind:
        query = query.where(Case.kind == filters.kind)
    if filters.overdue:
        query = query.where(overdue_condition(now))
    return query.order_by(Case.deadline.asc(), Case.id.asc()) if filters.overdue \
        else query.order_by(Case.submitted_at.desc(), Case.id.desc())


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    return and_(Case.status.in_(OPEN_STATUSES), Case.deadline < now)


def counts_for(user: User, now: datetime | None = None) -> dict[str, int]:
    """Waiting, overdue and held cases in the user's region, for the dashboard."""
    now = now or utcnow()
    scope = region_scope(user, Case.handling_region_code)

    def count(*conditions: ColumnElement[bool]) -> int:
        return db.session.scalar(select(func.count()).select_from(Case).where(
            scope, *conditions)) or 0

    return {
        "waiting": count(Case.moderation == Moderation.NONE,
                         Case.status.in_([Status.SUBMITTED, Status.TRANSFERRED])),
        "overdue": count(Case.moderation == Moderation.NONE, overdue_condition(now)),
        "held": count(Case.moderation == Moderation.HELD),
    }
