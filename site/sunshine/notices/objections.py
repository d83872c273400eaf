"""Objections (异议) during the notice period, rulings, and the result announcement.

An objection is filed through the complaints service as a case of kind 异议 aimed at the
notice, so the objector follows it at /complaints/track by its code. The ``NoticeObjection``
row (entry and ruling) is added in the same transaction as the case. A ruling walks the case
through the complaints handling steps (accept, reply with the ruling, close), so the
objector's history shows it; if a step fails half-way, ruling again picks up where the case
stands. A notice is finalized only after its period and once every objection is resolved:
ruled, or refused (不予受理) in the complaints back office.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import joinedload

from sunshine import clock, pagecache
from sunshine.accounts.models import User
from sunshine.accounts.permissions import can_access_region
from sunshine.audit import record
from sunshine.complaints import handling
from sunshine.complaints import services as complaints
from sunshine.complaints.models import Case, CaseEvent, EventType, Kind, Moderation, Status
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.guard import check_publishable
from sunshine.markup import render_markdown
from sunshine.notices import indexing, periods, queries
from sunshine.notices.models import (
    Notice,
    NoticeEntry,
    NoticeKind,
    NoticeLink,
    NoticeObjection,
    NoticeState,
    Ruling,
)
from sunshine.notices.services import (
    BODY_MAX,
    REASON_MAX,
    TITLE_MAX,
    NoticeError,
    check_worker,
    clean_text,
)
from sunshine.notify.events import announce
from sunshine.web import whole_number

CATEGORIES = {NoticeKind.PROJECT: "项目建设", NoticeKind.FUND: "资金使用"}


def notice_label(target_id: str) -> str | None:
    """A complaint's target, named as on the notice pages; None for a draft."""
    number = whole_number(target_id, 0, highest=2**31 - 1)
    notice = db.session.scalar(queries.public_one(number)) if number else None
    return f"公示公告：{notice.title}" if notice else None


@dataclass
class Objection:
    """An objection as the notice sees it: the case, the entry and the ruling (if any)."""

    case: Case
    link: NoticeObjection | None

    @property
    def entry(self) -> NoticeEntry | None:
        return self.link.entry if self.link else None

    @property
    def ruling_label(self) -> str:
        if self.link and self.link.ruling:
            return self.link.ruling.label
        return "不予受理" if self.case.status is Status.REJECTED else ""

    @property
    def reason(self) -> str:
        if self.link and self.link.ruling:
            return self.link.reason
        return self.case.rejection_reason if self.case.status is Status.REJECTED else ""

    @property
    def resolved(self) -> bool:
        return bool(self.ruling_label)

    @property
    def ruled_at(self) -> datetime | None:
        if self.link and self.link.ruled_at:
            return self.link.ruled_at
        return self.case.first_replied_at if self.case.status is Status.REJECTED else None


def _cases(notice_id: int) -> Any:
    return select(Case).where(Case.kind == Kind.OBJECTION, Case.target_type == "notice",
                              Case.target_id == str(notice_id))


def objections_of(notice: Notice) -> list[Objection]:
    """Every objection to the notice, oldest first. The cases are the source of truth, so an
    objection can never be missed even without its ``NoticeObjection`` row."""
    rows = db.session.execute(
        _cases(notice.id).add_columns(NoticeObjection)
        .outerjoin(NoticeObjection, (NoticeObjection.case_id == Case.id)
                   & (NoticeObjection.notice_id == notice.id))
        .options(joinedload(NoticeObjection.entry)).order_by(Case.id)).tuples()
    return [Objection(case, link) for case, link in rows]


def objection_counts(notice_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(received, resolved) per notice, in one grouped query."""
    if not notice_ids:
        return {}
    keys = [str(n) for n in notice_ids]
    resolved = NoticeObjection.ruling.is_not(None) | (Case.status == Status.REJECTED)
    found = {target: (received, ruled) for target, received, ruled in db.session.execute(
        select(Case.target_id, func.count(), func.count().filter(resolved))
        .outerjoin(NoticeObjection, NoticeObjection.case_id == Case.id)
        .where(Case.kind == Kind.OBJECTION, Case.target_type == "notice",
               Case.target_id.in_(keys))
        .group_by(Case.target_id))}
    return {n: found.get(str(n), (0, 0)) for n in notice_ids}


# --- filing --------------------------------------------------------------------------------


@contextmanager
def _with_case(make: Any) -> Iterator[None]:
    """Add ``make(case)`` to the session at the flush that inserts the new case, so that it
    commits (or rolls back) with the case in the complaints service's one transaction."""
    session = db.session()
    added: list[object] = []

    def before_flush(sess: Any, context: Any, instances: Any) -> None:
        if added:
            return
        case = next((obj for obj in sess.new if isinstance(obj, Case)), None)
        if case is not None:
            added.append(make(case))
            sess.add(added[0])

    event.listen(session, "before_flush", before_flush)
    try:
        yield
    finally:
        event.remove(session, "before_flush", before_flush)


def file_objection(notice: Notice, body: str, entry_id: int | None = None, named: bool = False,
                   name: str = "", phone: str = "", suspicion: str | None = None,
                   now: datetime | None = None, code: str | None = None) -> tuple[Case, str]:
    """Object to a notice while it is open; returns the case and its tracking code.

    :raise NoticeError: the notice is not open, or the entry is not on it.
    :raise complaints.CaseError: a field is missing or wrong (named without a phone …).
    """
    now = now or periods.now()
    current = periods.state_of(notice, now)
    if notice.kind is NoticeKind.RESULT or current is not NoticeState.OPEN:
        if current is NoticeState.PENDING:
            raise NoticeError("公示期还没有开始，开始后才能提出异议")
        raise NoticeError(f"公示期已于 {notice.end_on.isoformat()} 结束，不能再在网上提出异议")
    entry = None
    if entry_id is not None:
        entry = next((e for e in notice.entries if e.id == entry_id), None)
        if entry is None:
            raise NoticeError("名单中没有这一户", "entry")
    about = f"中{entry.label}" if entry else ""
    subject = f"对“{notice.title[:60]}”{about}的异议"[:100]
    sub = complaints.Submission(
        kind=Kind.OBJECTION,
        category=CATEGORIES.get(notice.kind, "识别不准"), region_code=notice.region_code,
        subject=subject, body=body, named=named, name=name, phone=phone,
        target_type="notice", target_id=str(notice.id), suspicion=suspicion)
    with _with_case(lambda case: NoticeObjection(notice_id=notice.id, case=case,
                                                 entry_id=entry.id if entry else None,
                                                 created_at=now)):
        pagecache.changed("notices", notice.region_code)  # its count of objections
        case, tracking_code = complaints.submit_case(sub, now=now, code=code)
    return case, tracking_code


# --- rulings -------------------------------------------------------------------------------


def _objection(notice: Notice, case_id: int) -> Objection:
    found = next((o for o in objections_of(notice) if o.case.id == case_id), None)
    if found is None:
        raise NoticeError("这条公示没有这个异议")
    return found


def rule(user: User, notice: Notice, case_id: int, ruling: str, reason: str,
         now: datetime | None = None) -> Objection:
    """Record the ruling (成立 / 不成立) and its reason, answer the objector with it and close
    the case.

    :raise NoticeError: the notice is closed, the objection ruled or refused, bad input.
    :raise PermissionDenied: the user may not handle the case or the notice.
    :raise PersonalDataFound: the reason holds a personal number (it is published).
    """
    check_worker(user, notice.region_code)
    if notice.announced_at is not None or notice.withdrawn_at is not None:
        raise NoticeError("已发布结果公告或已撤回的公示不能再裁定异议")
    objection = _objection(notice, case_id)
    case = objection.case
    if case.status is Status.REJECTED:
        raise NoticeError("这条异议已不予受理，无需裁定")
    if objection.link and objection.link.ruling and case.status is Status.CLOSED:
        raise NoticeError("这条异议已经裁定")
    if ruling not in {r.value for r in Ruling}:
        raise NoticeError("请选择裁定结果", "ruling")
    text = clean_text(reason, "reason", "裁定理由", REASON_MAX)
    check_publishable(text)
    if user.role not in handling.HANDLERS or not can_access_region(user,
                                                                   case.handling_region_code):
        raise PermissionDenied(case.handling_region_code)
    now = now or periods.now()
    verdict = Ruling(ruling)
    answer = f"异议裁定：{verdict.label}。理由：{text}"
    if case.moderation is Moderation.HELD:
        handling.moderate(case, user, spam=False, now=now)
    if case.status in (Status.SUBMITTED, Status.TRANSFERRED):
        handling.accept(case, user, "已受理您对公示的异议，正在调查核实。", now)
    if case.status in (Status.ACCEPTED, Status.IN_PROGRESS, Status.OVERDUE):
        handling.reply(case, user, answer, now)
    if case.status is Status.REPLIED:
        replied = case.latest_reply is not None and case.latest_reply.text == answer
        handling.close(case, user, "异议已裁定，办结。" if replied else answer, now)
    elif not any(e.public and e.text.endswith(answer) for e in case.events):
        # Closed in the complaints back office before the ruling: tell the objector anyway.
        case.events.append(CaseEvent(type=EventType.REPLY, text=answer, public=True,
                                     actor_id=user.id, unit_code=case.handling_region_code,
                                     at=now))
    link = objection.link or NoticeObjection(notice_id=notice.id, case_id=case.id,
                                             created_at=now)
    link.ruling, link.reason, link.ruled_at, link.ruled_by_id = verdict, text, now, user.id
    db.session.add(link)
    pagecache.changed("notices", notice.region_code)
    record("notice_objection_ruled", user, "notice", notice.id, notice.region_code,
           f"异议（案件 {case.id}）{verdict.label}")
    db.session.commit()
    return Objection(case, link)


# --- the result announcement ---------------------------------------------------------------


def finalize_problem(notice: Notice, now: datetime | None = None) -> str | None:
    """Why the notice cannot be finalized now, or None when it can."""
    if notice.kind is NoticeKind.RESULT:
        return "结果公告本身不需要再发布结果公告"
    current = periods.state_of(notice, now)
    if notice.published_at is None:
        return "草稿还没有发布"
    if current is NoticeState.WITHDRAWN:
        return "已撤回的公示不能发布结果公告"
    if current is NoticeState.ANNOUNCED:
        return "这条公示已经发布过结果公告"
    if current in (NoticeState.PENDING, NoticeState.OPEN):
        return (f"公示期到 {notice.end_on.isoformat()} 结束，期满后才能发布结果公告"
                f"（还剩 {periods.days_left(notice, now)} 天）")
    waiting = [o for o in objections_of(notice) if not o.resolved]
    if waiting:
        return f"还有 {len(waiting)} 条异议没有裁定，全部裁定后才能发布结果公告"
    return None


def finalize(user: User, notice: Notice, title: str, body: str, now: datetime | None = None,
             reindex: bool = True) -> Notice:
    """Publish the 结果公告 of an expired notice whose objections are all resolved. It lists
    the entries less those an upheld objection was about, and (on its page) every ruling.

    :raise NoticeError: too early, an objection unresolved, or bad input.
    :raise PersonalDataFound: the title or body holds a personal number.
    """
    check_worker(user, notice.region_code)
    now = now or periods.now()
    problem = finalize_problem(notice, now)
    if problem:
        raise NoticeError(problem)
    title = clean_text(title, "title", "标题", TITLE_MAX)
    body = clean_text(body, "body", "正文", BODY_MAX, required=False)
    check_publishable(title, body)
    upheld = {o.entry.id for o in objections_of(notice)
              if o.entry is not None and o.link and o.link.ruling is Ruling.UPHELD}
    result = Notice(kind=NoticeKind.RESULT, region_code=notice.region_code, title=title,
                    body=body, body_html=render_markdown(body),
                    register_year=notice.register_year, published_at=now, result_of_id=notice.id,
                    created_by_id=user.id, created_at=now, updated_at=now)
    today = clock.china_date(now)
    result.start_on = result.end_on = today
    result.starts_at = result.ends_at = now
    kept = [e for e in notice.entries if e.id not in upheld]
    for position, entry in enumerate(kept, start=1):
        result.entries.append(NoticeEntry(
            position=position, household_id=entry.household_id, masked_name=entry.masked_name,
            village_code=entry.village_code, household_size=entry.household_size,
            reason=entry.reason))
    for link in notice.links:
        result.links.append(NoticeLink(record_type=link.record_type, record_id=link.record_id,
                                       label=link.label, detail=link.detail,
                                       region_code=link.region_code))
    db.session.add(result)
    notice.announced_at, notice.updated_at = now, now
    db.session.flush()
    pagecache.changed("notices", notice.region_code)
    record("notice_announced", user, "notice", notice.id, notice.region_code,
           f"结果公告 {result.id}：{len(kept)} 条，{len(upheld)} 条因异议成立移出")
    announce(f"结果公告：{result.title}", f"/notices/{result.id}",
             region_code=notice.region_code, about=("notice", str(notice.id)), now=now)
    if reindex:
        indexing.reindex([notice, result])
    db.session.commit()
    return result


def result_of(notice: Notice) -> Notice | None:
    """The result announcement of a finalized notice."""
    return db.session.scalar(select(Notice).where(
        Notice.result_of_id == notice.id, Notice.kind == NoticeKind.RESULT)
        .order_by(Notice.id.desc()).limit(1))
