"""Cases from the public side: filing (one transaction), routing and deadlines, tracking by
code, the reporter's rating and reopening, and the published Q&A. Handling by staff is in
``handling``.

Steps by the public are audit-logged without an address: a reporter's IP address would identify
them to whoever reads the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, select

from sunshine import formguard, pagecache
from sunshine.audit import AuditEntry
from sunshine.complaints.models import (
    CATEGORIES,
    PUBLIC_KINDS,
    Case,
    CaseEvent,
    CasePhoto,
    CaseReporter,
    EventType,
    Kind,
    Moderation,
    Rating,
    Status,
)
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import FieldError
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.registry import registry
from sunshine.tracked import sealing, tracking
from sunshine.uploads import PhotoStore, StoredPhoto
from sunshine.workdays.services import add_days

log = logging.getLogger(__name__)

TARGET_TYPES = {"fund": "扶贫资金", "project": "扶贫项目", "notice": "公示公告",
                "unit": "单位或部门"}

#: A case's photos, seen by staff only: random names under UPLOAD_DIR/complaints/.
PHOTOS = PhotoStore("complaints", "COMPLAINT_PHOTO")

#: Reasons a submission waits in the moderation queue (shown to staff only).
SUSPICION_LABELS = {"honeypot": "填写了隐藏的防机器人字段", "too_fast": "填写时间过短",
                    "no_timer": "缺少或伪造了表单计时", "links": "内容含有大量网址"}


class CaseError(FieldError):
    """A business rule refused a step of a case."""


# --- deadlines and routing -----------------------------------------------------------------


def reply_deadline(start: datetime) -> datetime:
    config = current_app.config
    return add_days(start, int(config["COMPLAINT_REPLY_DAYS"]),
                    bool(config["COMPLAINT_REPLY_WORKING_DAYS"]))


def route(region_code: str, about_local_cadres: bool) -> str:
    """The handling unit of a case about ``region_code``.

    A village's case goes to its town (乡镇), the unit that answers for villages; a case in a
    town or above stays at its own level. When the case is about village or town cadres it
    skips them: it goes to the county (县) of the village or town, and a case about a county
    or city goes one level up. Staff see only what is routed into their subtree, so the people
    complained about do not handle, or even see, the case.
    """
    level = codes.level_of(region_code)
    if about_local_cadres:
        if level >= 4:
            return region_code[:6].ljust(12, "0")
        return codes.parent_of(region_code) or region_code
    if level == 5:
        return codes.parent_of(region_code) or region_code
    return region_code


# --- filing --------------------------------------------------------------------------------


@dataclass
class Submission:
    kind: Kind
    category: str
    region_code: str
    subject: str
    body: str
    named: bool = False
    name: str = ""
    phone: str = ""
    consent_to_publish: bool = False
    about_local_cadres: bool = False
    target_type: str | None = None
    target_id: str | None = None
    target_label: str = ""
    photos: list[bytes] = field(default_factory=list)
    #: Why the anti-abuse checks of the form doubt it (see SUSPICION_LABELS); None when clean.
    suspicion: str | None = None


def target_label(target_type: str | None, target_id: str | None, free_text: str = "") -> str:
    """What a case is about, named as the public pages name it; "" when there is no target or
    the public may not see it (a draft notice's title must not come out through here)."""
    if not target_type:
        return ""
    if target_type == "unit":
        return free_text
    # Features that can be complained about register how to name their public objects.
    resolver = registry().complaint_targets.get(target_type)
    return (resolver(target_id or "") if resolver else None) or ""


def _check_submission(sub: Submission) -> Region:
    if sub.kind not in PUBLIC_KINDS and sub.kind is not Kind.OBJECTION:
        raise CaseError("请选择要办理的事项", "kind")
    if sub.category not in CATEGORIES:
        raise CaseError("请选择问题类别", "category")
    region = db.session.get(Region, sub.region_code) if codes.CODE_RE.match(sub.region_code) \
        else None
    if region is None:
        raise CaseError("请选择问题发生的地区（至少选到县）", "region")
    if region.level < 3:
        raise CaseError("请至少选到县（市、区）一级", "region")
    if not sub.subject.strip():
        raise CaseError("请用一句话写明是什么事", "subject")
    if len(sub.subject.strip()) > 100:
        raise CaseError("不能超过 100 个字符", "subject")
    if not sub.body.strip():
        raise CaseError("请写明具体情况", "body")
    if sub.target_type is not None and (sub.target_type not in TARGET_TYPES or (
            sub.target_type != "unit" and not target_label(sub.target_type, sub.target_id))):
        raise CaseError("反映对象不正确", "target")
    if sub.named:
        if not sub.name.strip():
            raise CaseError("实名反映请填写姓名；不想留名请选择“匿名”", "name")
        if not sealing.PHONE_RE.match(sub.phone.strip()):
            raise CaseError("请填写 11 位手机号或带区号的固定电话", "phone")
    max_photos = int(current_app.config["COMPLAINT_MAX_PHOTOS"])
    if len(sub.photos) > max_photos:
        raise CaseError(f"最多上传 {max_photos} 张照片", "photos")
    return region


def submit_case(sub: Submission, now: datetime | None = None,
                code: str | None = None) -> tuple[Case, str]:
    """File a case in one transaction: the case, the sealed identity, the photos, the first
    history entry and the audit entry. Returns the case and its tracking code, which is not
    stored anywhere and must be shown to the reporter now.

    :raise CaseError: a field is missing or wrong.
    :raise PhotoRejected: a file is not an acceptable photo.
    """
    region = _check_submission(sub)
    cleaned = [PHOTOS.clean(data) for data in sub.photos]
    now = now or utcnow()
    suspicion = formguard.with_links(sub.suspicion, sub.subject + sub.body)
    code = code or tracking.new_code()
    case = Case(
        kind=sub.kind, category=sub.category, region_code=region.code,
        handling_region_code=route(region.code, sub.about_local_cadres),
        about_local_cadres=sub.about_local_cadres, target_type=sub.target_type,
        target_id=sub.target_id if sub.target_type != "unit" else None,
        target_label=target_label(sub.target_type, sub.target_id, sub.target_label)[:200],
        subject=sub.subject.strip(), body=sub.body, named=sub.named,
        consent_to_publish=sub.consent_to_publish, code_hash=tracking.code_hash(code),
        status=Status.SUBMITTED, submitted_at=now, updated_at=now, deadline=reply_deadline(now),
        moderation=Moderation.HELD if suspicion else Moderation.NONE,
        moderation_reason=SUSPICION_LABELS.get(suspicion or "", ""))
    db.session.add(case)
    case.events.append(CaseEvent(type=EventType.STATUS, status=Status.SUBMITTED, at=now,
                                 text=f"已收到您的{case.kind.label}。", public=True))
    stored: list[StoredPhoto] = []
    try:
        stored = PHOTOS.save_all(cleaned)
        for photo in stored:
            case.photos.append(CasePhoto(filename=photo.filename, content_type=photo.content_type,
                                         width=photo.width, height=photo.height,
                                         size=photo.size))
        db.session.flush()
        if sub.named:
            db.session.add(CaseReporter(case_id=case.id, sealed=sealing.seal(
                {"name": sub.name.strip(), "phone": sub.phone.strip()})))
        _public_record("complaint_submitted", case,
                       f"{case.kind.label} · {case.category}"
                       + (f" · 待审核：{case.moderation_reason}" if suspicion else ""))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        PHOTOS.discard(stored)
        raise
    log.info("case %s filed (%s)%s", case.id, case.kind.value, " held" if suspicion else "")
    return case, code


def _public_record(action: str, case: Case, detail: str) -> AuditEntry:
    """An audit entry for a step by the public: no actor and, on purpose, no address."""
    pagecache.changed("complaints", case.region_code)  # its place's statistics
    return sealing.record_unnamed(action, "complaint", case.id, case.handling_region_code,
                                  detail)


# --- tracking by code ----------------------------------------------------------------------


def find_by_code(code: str) -> Case | None:
    """The case with this tracking code, or None. An unknown code, a malformed one and a
    wrong one all give None the same way: one indexed lookup of the hash."""
    return tracking.find(Case, code)


def public_history(case: Case) -> list[CaseEvent]:
    """What the reporter sees: state changes, replies, ratings; never internal notes."""
    return [e for e in case.events if e.public and e.type != EventType.NOTE]


def can_rate(case: Case) -> bool:
    return case.status in (Status.REPLIED, Status.CLOSED) and case.rating is None \
        and case.moderation is Moderation.NONE


def can_reopen(case: Case) -> bool:
    return case.status in (Status.REPLIED, Status.CLOSED) \
        and case.rating is Rating.DISSATISFIED and case.reopen_count == 0


def rate(case: Case, rating: Rating, comment: str = "", now: datetime | None = None) -> None:
    """The reporter rates the reply. 满意 and 基本满意 close the case.

    :raise CaseError: nothing to rate yet, or already rated.
    """
    if not can_rate(case):
        raise CaseError("这个案件现在不能评价（还没有答复，或已经评价过）", "rating")
    now = now or utcnow()
    case.rating, case.rated_at, case.updated_at = rating, now, now
    text = f"评价：{rating.label}" + (f"。{comment.strip()}" if comment.strip() else "")
    case.events.append(CaseEvent(type=EventType.RATING, text=text, public=True, at=now))
    _public_record("complaint_rated", case, rating.label)
    if rating is not Rating.DISSATISFIED and case.status is Status.REPLIED:
        case.status, case.closed_at = Status.CLOSED, now
        case.events.append(CaseEvent(type=EventType.STATUS, status=Status.CLOSED, at=now,
                                     text="您对答复表示满意，案件办结。", public=True))
    db.session.commit()


def reopen(case: Case, reason: str, now: datetime | None = None) -> None:
    """Dissatisfied with the reply, the reporter reopens the case once; it goes back to the
    same unit with a new deadline.

    :raise CaseError: not rated 不满意, or reopened before.
    """
    if not can_reopen(case):
        raise CaseError("只有对答复不满意时才能重新办理，而且只能一次", "reason")
    if not reason.strip():
        raise CaseError("请说明哪里不满意", "reason")
    now = now or utcnow()
    case.reopen_count += 1
    case.status, case.closed_at, case.rating, case.rated_at = Status.IN_PROGRESS, None, None, None
    case.deadline, case.updated_at = reply_deadline(now), now
    case.events.append(CaseEvent(type=EventType.REOPEN, status=Status.IN_PROGRESS, at=now,
                                 text=f"群众对答复不满意，申请重新办理：{reason.strip()}",
                                 public=True))
    _public_record("complaint_reopened", case, "不满意，重新办理")
    db.session.commit()


# --- published Q&A -------------------------------------------------------------------------


def published_query(region_code: str | None = None) -> Select[tuple[Case]]:
    query = select(Case).where(Case.published_at.is_not(None), Case.consent_to_publish.is_(True))
    if region_code:
        lo, hi = codes.subtree_bounds(region_code)
        query = query.where(Case.region_code.between(lo, hi))
    return query.order_by(Case.published_at.desc(), Case.id.desc())


def reseal_identities() -> int:
    """Encrypt every stored identity again with the newest ``DATA_ENCRYPTION_KEY``, so that
    the older keys can be dropped; all or nothing. Returns how many there are.

    :raise sealing.IdentityUnreadable: an identity that none of the keys opens.
    """
    rows = list(db.session.execute(select(CaseReporter)).scalars())
    try:
        for row in rows:
            row.sealed = sealing.reseal(row.sealed)
    except sealing.IdentityUnreadable:
        db.session.rollback()
        raise
    db.session.commit()
    return len(rows)
