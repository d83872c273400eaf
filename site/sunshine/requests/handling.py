"""Handling in the back office: extension, 补正, third-party consultation, the answer with its
legal basis, notes and the logged view of who asked (the clock's sweep is in ``sweep``).

Every function checks the actor's role and region itself and writes the audit log in the same
transaction as the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from sunshine import pagecache
from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import check_region, region_scope
from sunshine.audit import record
from sunshine.clock import today
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.guard import check_publishable
from sunshine.requests import files, indexing, periods
from sunshine.requests.mail import tell_applicant
from sunshine.requests.models import (
    BASES,
    RUNNING,
    Appeal,
    AppealKind,
    AppealResult,
    EventType,
    InfoRequest,
    Office,
    Outcome,
    RequestApplicant,
    RequestEvent,
    Status,
)
from sunshine.requests.services import (
    APPLICANT_FIELDS,
    RequestError,
    applicant_identity,
    hide_applicant,
)
from sunshine.tracked import sealing

HANDLERS = frozenset({Role.ADMIN, Role.STAFF})
READERS = frozenset({Role.ADMIN, Role.STAFF, Role.OVERSIGHT})

ACTION_LABELS = {
    "request_filed": "收到依申请公开", "request_amended": "申请人补正",
    "request_extended": "延长答复期限", "request_amend_asked": "要求补正",
    "request_consulting": "征求第三方意见", "request_consulted": "第三方意见已返回",
    "request_answered": "依申请公开答复", "request_note": "依申请公开内部备注",
    "request_overdue": "依申请公开逾期", "request_released": "依申请公开审核通过",
    "request_public_text": "修改公开的申请内容", "request_appeal_recorded": "登记行政复议或诉讼",
    "request_lapsed": "逾期未补正，视为放弃申请",  # by the sweep
}
#: Read by oversight only: who looked at whose identity.
OVERSIGHT_LABELS = {"request_applicant_viewed": "查看申请人身份"}


def readable(request: InfoRequest, user: User) -> None:
    """:raise PermissionDenied: the user may not see this request."""
    if user.role not in READERS:
        raise PermissionDenied(request.office_region_code)
    check_region(user, request.office_region_code)


def _handler(request: InfoRequest, user: User) -> None:
    if user.role not in HANDLERS:
        raise PermissionDenied(request.office_region_code)
    check_region(user, request.office_region_code)


def _event(request: InfoRequest, actor: User, type_: EventType, text: str, action: str,
           now: datetime, public: bool = True) -> None:
    request.updated_at = now
    event = RequestEvent(type=type_, text=text, public=public, actor_id=actor.id, at=now)
    request.events.append(event)
    if public:
        tell_applicant(request, event)
    pagecache.changed("requests", request.office_region_code)
    record(action, actor, "info_request", request.id, request.office_region_code,
           ACTION_LABELS[action])


def _running(request: InfoRequest) -> None:
    if request.held:
        raise RequestError("这个申请在待审核队列中，请先审核通过")
    if request.status not in RUNNING:
        raise RequestError(f"“{request.status.label}”的申请不能办理这一步")


def release(request: InfoRequest, actor: User, now: datetime | None = None,
            reindex: bool = True) -> None:
    """A held request is genuine: into the queue and the archive (its clock ran all along)."""
    _handler(request, actor)
    if not request.held:
        raise RequestError("这个申请不在待审核队列中")
    request.held, request.updated_at = False, now or utcnow()
    pagecache.changed("requests", request.office_region_code)
    record("request_released", actor, "info_request", request.id, request.office_region_code,
           "审核通过")
    if reindex:
        indexing.reindex([request])
    db.session.commit()


def extend(request: InfoRequest, actor: User, days: int, reason: str,
           now: datetime | None = None) -> None:
    """Extend the answer period once, by at most ``REQUEST_EXTENSION_DAYS``, with a reason the
    applicant reads.

    :raise RequestError: extended before, not running, a wrong number of days, no reason.
    """
    _handler(request, actor)
    _running(request)
    most = periods.setting("EXTENSION")
    if request.extension_days:
        raise RequestError("答复期限只能延长一次", "days")
    if not 1 <= days <= most:
        raise RequestError(f"延长的天数应为 1–{most} 天", "days")
    if not reason.strip():
        raise RequestError("请写明延长答复期限的理由", "reason")
    check_publishable(reason)
    now = now or utcnow()
    if today(now) > request.deadline:
        raise RequestError("答复期限已过，不能再延长", "days")
    request.extension_days, request.extension_reason = days, reason.strip()
    request.deadline = periods.deadline_of(request)
    _event(request, actor, EventType.EXTENDED,
           f"答复期限延长 {days} 天，至 {request.deadline.isoformat()}。理由：{reason.strip()}",
           "request_extended", now)
    db.session.commit()


def ask_amend(request: InfoRequest, actor: User, text: str, now: datetime | None = None) -> None:
    """Ask the applicant to amend (补正) an unclear request: once, within the first
    ``REQUEST_AMEND_WITHIN_DAYS`` of receipt. The clock stops until the applicant answers.

    :raise RequestError: asked before, too late, not running, or no explanation.
    """
    _handler(request, actor)
    _running(request)
    if request.status is Status.CONSULTING:
        raise RequestError("征求第三方意见期间不能要求补正")
    if request.amend_asked_on is not None:
        raise RequestError("只能要求补正一次", "text")
    now = now or utcnow()
    day = today(now)
    if day > periods.amend_window_end(request):
        raise RequestError(f"收到申请 {periods.setting('AMEND_WITHIN')} 天后不能再要求补正",
                           "text")
    if not text.strip():
        raise RequestError("请写明需要补正的内容", "text")
    check_publishable(text)
    request.status, request.amend_asked_on, request.amend_text = Status.AMEND, day, text.strip()
    lapses = periods.amend_lapses_on(request)
    _event(request, actor, EventType.AMEND,
           f"请补正申请：{text.strip()}。答复期限自收到补正之日起重新计算；"
           f"{lapses.isoformat() if lapses else ''} 前未补正的，视为放弃申请。",
           "request_amend_asked", now)
    db.session.commit()


def start_consult(request: InfoRequest, actor: User, text: str,
                  now: datetime | None = None) -> None:
    """Consult a third party whose rights the information touches; the time is not counted,
    up to ``REQUEST_CONSULT_DAYS`` in all.

    :raise RequestError: not running, already consulting, or the allowance used up.
    """
    _handler(request, actor)
    _running(request)
    if request.status is Status.CONSULTING:
        raise RequestError("已经在征求第三方意见")
    if request.paused_days >= periods.setting("CONSULT"):
        raise RequestError("征求第三方意见的时间已经用完", "text")
    if not text.strip():
        raise RequestError("请说明征求哪一方的意见（不写个人姓名）", "text")
    check_publishable(text)
    now = now or utcnow()
    request.status, request.consult_since = Status.CONSULTING, today(now)
    request.deadline = periods.deadline_of(request)
    _event(request, actor, EventType.CONSULT,
           f"正在征求第三方意见（{text.strip()}），所需时间不计算在答复期限内。",
           "request_consulting", now)
    db.session.commit()


def _stop_consult(request: InfoRequest, now: datetime) -> int:
    since = request.consult_since or today(now)
    used = min(periods.days_between(since, today(now)),
               periods.setting("CONSULT") - request.paused_days)
    request.paused_days += max(used, 0)
    request.status, request.consult_since = Status.RECEIVED, None
    request.deadline = periods.deadline_of(request)
    return used


def end_consult(request: InfoRequest, actor: User, now: datetime | None = None) -> None:
    """The third party answered (or the time is up): the clock runs again."""
    _handler(request, actor)
    if request.status is not Status.CONSULTING:
        raise RequestError("这个申请没有在征求第三方意见")
    now = now or utcnow()
    used = _stop_consult(request, now)
    _event(request, actor, EventType.CONSULTED,
           f"第三方意见已返回，用时 {used} 天不计入；应在 {request.deadline.isoformat()} 前答复。",
           "request_consulted", now)
    db.session.commit()


@dataclass
class Answer:
    outcome: Outcome
    basis: str
    text: str
    withheld: str = ""
    referred_to: str = ""


def _check_answer(request: InfoRequest, answer: Answer, now: datetime) -> None:
    if answer.outcome is Outcome.LAPSED:
        lapses = periods.amend_lapses_on(request)
        if request.status is not Status.AMEND or lapses is None or today(now) <= lapses:
            raise RequestError("只有补正期限过后仍未补正的申请，才能按放弃申请处理", "outcome")
    else:
        _running(request)
    if answer.basis not in BASES[answer.outcome]:
        raise RequestError("请选择答复的法律依据", "basis")
    if answer.outcome is Outcome.PARTIAL and not answer.withheld.strip():
        raise RequestError("部分公开时，请写明不予公开的部分", "withheld")
    if answer.outcome is Outcome.NOT_OURS and not answer.referred_to.strip():
        raise RequestError("请写明负责公开该信息的机关名称和联系方式", "referred_to")
    if not answer.text.strip():
        raise RequestError("请填写答复内容", "text")
    check_publishable(answer.text, answer.withheld, answer.referred_to)


def _hide_applicant(request: InfoRequest, *texts: str) -> list[str]:
    """Answers are public with the applicant's consent, and staff often address the applicant
    by name: their name is masked and their phone and e-mail hidden. The identity is read by
    the system here, shown to nobody, so no view is logged."""
    who = applicant_identity(request)
    if who is None:
        return list(texts)
    return [hide_applicant(text, who["name"], who["phone"], who["email"]) for text in texts]


def answer(request: InfoRequest, actor: User, given: Answer, now: datetime | None = None,
           reindex: bool = True, uploads: Sequence[files.Upload | files.Checked] = ()) -> None:
    """Answer the request with an outcome and its legal basis, and the documents sent with it
    (all in one transaction); the clock stops. ``uploads`` are files as chosen or already
    checked.

    :raise RequestError: the request cannot be answered now, or a required part is missing.
    :raise AttachmentError: a file refused (nothing is kept).
    :raise PersonalDataFound: the text holds an ID, phone or bank card number.
    """
    _handler(request, actor)
    now = now or utcnow()
    _check_answer(request, given, now)
    checked = files.check(request, given.outcome, uploads)
    close(request, given, now)
    pending = files.add_rows(request, actor.id, checked, now)
    basis = BASES[given.outcome][given.basis]
    _event(request, actor, EventType.ANSWERED,
           f"已答复：{given.outcome.label}（《政府信息公开条例》{basis.article}，{basis.label}）。",
           "request_answered", now)
    if reindex:
        indexing.reindex([request])
    files.commit(pending)


def close(request: InfoRequest, given: Answer, now: datetime) -> None:
    """Write the outcome and stop the clock (the caller adds the event and commits)."""
    if request.status is Status.CONSULTING:
        _stop_consult(request, now)
    day = today(now)
    text, withheld = _hide_applicant(request, given.text.strip(), given.withheld.strip())
    request.outcome, request.basis = given.outcome, given.basis
    request.withheld, request.referred_to = withheld, given.referred_to.strip()[:200]
    request.answer, request.answered_at = text, now
    # A stopped clock cannot run late: a lapsed 补正 is on time whatever the deadline said.
    request.answered_on_time = given.outcome is Outcome.LAPSED or day <= request.deadline
    request.working_days = max(periods.days_between(request.clock_start, day)
                               - request.paused_days, 0)
    request.status = Status.ANSWERED


def add_note(request: InfoRequest, actor: User, text: str, now: datetime | None = None) -> None:
    """Internal notes: for colleagues only, never shown to the applicant or published."""
    _handler(request, actor)
    if not text.strip():
        raise RequestError("请填写备注内容", "text")
    _event(request, actor, EventType.NOTE, text.strip(), "request_note", now or utcnow(),
           public=False)
    db.session.commit()


def set_public_text(request: InfoRequest, actor: User, subject: str, body: str) -> None:
    """Staff clean the question the archive shows (with the applicant's consent only).

    :raise PersonalDataFound: a personal number is left in it.
    """
    _handler(request, actor)
    if not request.consent_to_publish:
        raise RequestError("申请人没有同意公开申请内容")
    if not subject.strip():
        raise RequestError("此项为必填", "subject")
    check_publishable(subject, body)
    subject, body = _hide_applicant(request, subject.strip(), body.strip())
    request.public_subject, request.public_body = subject[:100], body
    _event(request, actor, EventType.NOTE, "修改了公开的申请内容", "request_public_text",
           utcnow(), public=False)
    indexing.reindex([request])
    db.session.commit()


def view_applicant(request: InfoRequest, actor: User) -> dict[str, str]:
    """The applicant's name and contact, for oversight and the handling office (which must
    deliver the answer); each view is logged under the province.

    :raise PermissionDenied: anybody else, or outside the region.
    """
    if actor.role not in READERS:
        raise PermissionDenied(request.office_region_code)
    check_region(actor, request.office_region_code)
    row = db.session.scalar(select(RequestApplicant).where(
        RequestApplicant.request_id == request.id))
    if row is None:
        raise RequestError("没有找到申请人信息")
    return sealing.reveal(row.sealed, APPLICANT_FIELDS, actor=actor,
                          action="request_applicant_viewed", object_type="info_request",
                          object_id=request.id, detail="查看申请人身份")


def record_appeal(actor: User, office: Office, year: int, kind: AppealKind,
                  result: AppealResult, request_id: int | None = None) -> Appeal:
    """Enter an administrative review or lawsuit about the office's disclosure, for its annual
    report.

    :raise RequestError: a year out of range.
    """
    if actor.role not in HANDLERS:
        raise PermissionDenied(office.region.code)
    check_region(actor, office.region.code)
    if not 2008 <= year <= today().year:
        raise RequestError(f"年度应在 2008–{today().year} 之间", "year")
    appeal = Appeal(office_region_code=office.region.code, office_kind=office.kind, year=year,
                    kind=kind, result=result, request_id=request_id)
    db.session.add(appeal)
    pagecache.changed("requests", office.region.code)
    record("request_appeal_recorded", actor, "info_request_appeal", office.key,
           office.region.code, f"{year} {kind.label} {result.label}")
    db.session.commit()
    return appeal


def appeals_for(user: User) -> list[Appeal]:
    """The reviews and lawsuits entered for offices in the user's region, newest first."""
    return list(db.session.execute(select(Appeal).where(
        region_scope(user, Appeal.office_region_code))
        .order_by(Appeal.year.desc(), Appeal.id.desc()).limit(200)).scalars())


# --- back-office queries ---------------------------------------------------------------------
