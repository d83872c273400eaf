"""Requests from the public side: choosing the office, filing (one transaction), tracking by
code and answering a 补正 request. Handling by staff is in ``handling``.

Steps by the public are audit-logged without an address: an applicant's IP address would
identify them to whoever reads the log.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from sunshine import formguard, pagecache
from sunshine.audit import AuditEntry
from sunshine.clock import today
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import FieldError
from sunshine.guard import find_personal_numbers
from sunshine.masking import mask_name
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.requests import periods
from sunshine.requests.models import (
    ApplicantType,
    Delivery,
    EventType,
    InfoRequest,
    Office,
    OfficeKind,
    RequestApplicant,
    RequestEvent,
    Status,
)
from sunshine.search.outbox import changed
from sunshine.tracked import keys, sealing, tracking

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}$")
ANY_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: A page of this site a request can be about: a path, no scheme, host or query.
ABOUT_RE = re.compile(r"^/(?:funds|projects|notices|stats|news|policies)/[\w./-]{0,150}$")
OFFICE_KEY_RE = re.compile(r"^(\d{12})-([a-z]{1,16})$")
#: What a sealed identity of an applicant holds.
APPLICANT_FIELDS = ("name", "phone", "email", "address")


class RequestError(FieldError):
    """A business rule refused a step of a request."""


# --- offices ---------------------------------------------------------------------------------


def office_for(region_code: str, kind: str) -> Office:
    """The office of a kind in a region.

    :raise RequestError: no such region in the province, no such kind, or no such office at
        that level (a village has none; a town has only its government).
    """
    region = db.session.get(Region, region_code) if codes.CODE_RE.match(region_code or "") \
        else None
    if region is None or not codes.in_subtree(region.code,
                                              current_app.config["PROVINCE_CODE"]):
        raise RequestError("请选择向哪一级机关申请（至少选到市）", "office")
    try:
        office_kind = OfficeKind(kind)
    except ValueError:
        raise RequestError("请选择机关类型", "office_kind") from None
    if region.level > office_kind.lowest_level:
        raise RequestError(f"{region.name}没有{office_kind.label}，请选择上一级或乡镇人民政府",
                           "office_kind")
    return Office(region, office_kind)


def parse_office(key: str) -> Office | None:
    """The office written ``<region code>-<kind>`` in an address, or None."""
    match = OFFICE_KEY_RE.match(key or "")
    if match is None:
        return None
    try:
        return office_for(match.group(1), match.group(2))
    except RequestError:
        return None


def offices_in(region: Region) -> list[Office]:
    """The offices of one region, the kinds that exist at its level."""
    return [Office(region, kind) for kind in OfficeKind if region.level <= kind.lowest_level]


# --- filing ----------------------------------------------------------------------------------


@dataclass
class Filing:
    office_region_code: str
    office_kind: str
    subject: str
    body: str
    name: str
    phone: str = ""
    email: str = ""
    address: str = ""
    delivery: Delivery = Delivery.ONLINE
    applicant_type: ApplicantType = ApplicantType.PERSON
    consent_to_publish: bool = False
    about: str = ""
    #: Why the anti-abuse checks doubt it (formguard's reasons); None when clean.
    suspicion: str | None = None


def clean_about(path: str) -> str:
    """A site path worth linking, or ""."""
    path = (path or "").strip()
    return path if ABOUT_RE.match(path) and ".." not in path else ""


def _check(filing: Filing) -> Office:
    office = office_for(filing.office_region_code, filing.office_kind)
    subject = filing.subject.strip()
    if not subject:
        raise RequestError("请用一句话写明要申请公开什么信息", "subject")
    if len(subject) > 100:
        raise RequestError("不能超过 100 个字符", "subject")
    if not filing.body.strip():
        raise RequestError("请写明所需信息的名称、文号或者便于查找的其他特征", "body")
    if not filing.name.strip():
        raise RequestError("请填写申请人姓名或单位名称", "name")
    phone, email = filing.phone.strip(), filing.email.strip()
    if phone and not sealing.PHONE_RE.match(phone):
        raise RequestError("请填写 11 位手机号或带区号的固定电话", "phone")
    if email and not EMAIL_RE.match(email):
        raise RequestError("电子邮箱格式不正确", "email")
    if not phone and not email:
        raise RequestError("请至少留下电话或电子邮箱中的一项，以便机关联系您", "phone")
    if filing.delivery is Delivery.EMAIL and not email:
        raise RequestError("选择电子邮件答复时，请填写电子邮箱", "email")
    if filing.delivery is Delivery.PAPER and not filing.address.strip():
        raise RequestError("选择纸质邮寄时，请填写邮寄地址", "address")
    return office


def public_text(text: str, name: str, phone: str, email: str) -> str:
    """The applicant's text as the archive may show it: the applicant's own name masked, e-mail
    addresses hidden, and "" when a personal number is left (staff clean it then)."""
    shown = ANY_EMAIL_RE.sub("***@***", hide_applicant(text.strip(), name, phone, email))
    return "" if find_personal_numbers(shown) else shown


def hide_applicant(text: str, name: str, phone: str, email: str) -> str:
    """``text`` with the applicant's name masked (欧**英) and their phone and e-mail hidden."""
    if len(name.strip()) >= 2:
        text = text.replace(name.strip(), mask_name(name))
    for value in (phone.strip(), email.strip()):
        if value:
            text = text.replace(value, "***")
    return text


def applicant_identity(request: InfoRequest) -> dict[str, str] | None:
    """Who asked, read by the system for its own use (masking, mail) and shown to nobody, so
    no view is logged; None when no identity is kept or it cannot be read."""
    row = db.session.scalar(select(RequestApplicant).where(
        RequestApplicant.request_id == request.id))
    if row is None:
        return None
    try:
        return sealing.fields_of(row.sealed, APPLICANT_FIELDS)
    except sealing.IdentityUnreadable:
        return None


def fingerprint(name: str, phone: str, email: str) -> str:
    """The same applicant gives the same value (name and contact, normalised)."""
    contact = phone.strip().replace("-", "") or email.strip().lower()
    return keys.keyed_hash("applicant|" + "".join(name.split()) + "|" + contact)


def file_request(filing: Filing, now: datetime | None = None,
                 code: str | None = None) -> tuple[InfoRequest, str]:
    """File a request in one transaction: the request, the sealed identity, the first history
    entry and the audit entry. Returns the request and its tracking code, which is not stored
    anywhere and must be shown to the applicant now.

    :raise RequestError: a field is missing or wrong.
    """
    office = _check(filing)
    now = now or utcnow()
    suspicion = formguard.with_links(filing.suspicion, filing.subject + filing.body)
    code = code or tracking.new_code()
    name, phone, email = filing.name.strip(), filing.phone.strip(), filing.email.strip()
    consent = filing.consent_to_publish
    request = InfoRequest(
        office_region_code=office.region.code, office_kind=office.kind,
        about=clean_about(filing.about), subject=filing.subject.strip(), body=filing.body,
        delivery=filing.delivery, applicant_type=filing.applicant_type,
        consent_to_publish=consent,
        public_subject=public_text(filing.subject, name, phone, email)[:100] if consent else "",
        public_body=public_text(filing.body, name, phone, email) if consent else "",
        code_hash=tracking.code_hash(code), held=suspicion is not None, status=Status.RECEIVED,
        received_at=now, clock_start=today(now), updated_at=now, extension_days=0,
        paused_days=0)
    request.office_region = office.region
    request.deadline = periods.deadline_of(request)
    request.events.append(RequestEvent(
        type=EventType.RECEIVED, at=now,
        text=f"{office.name}已收到您的申请，应在 {request.deadline.isoformat()} 前答复。"))
    db.session.add(request)
    try:
        db.session.flush()
        db.session.add(RequestApplicant(
            request_id=request.id, fingerprint=fingerprint(name, phone, email),
            sealed=sealing.seal({"name": name, "phone": phone, "email": email,
                                 "address": filing.address.strip()})))
        _public_record("request_filed", request,
                       office.name + (f" · 待审核：{suspicion}" if suspicion else ""))
        if not request.held:  # public at once: site search learns of it with the filing
            changed([f"request:{request.id}"])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    log.info("request %s filed%s", request.id, " held" if suspicion else "")
    return request, code


def _public_record(action: str, request: InfoRequest, detail: str) -> AuditEntry:
    """An audit entry for a step by the public: no actor and, on purpose, no address."""
    pagecache.changed("requests", request.office_region_code)
    return sealing.record_unnamed(action, "info_request", request.id,
                                  request.office_region_code, detail)


# --- tracking by code ------------------------------------------------------------------------


def find_by_code(code: str) -> InfoRequest | None:
    """The request with this tracking code, or None; an unknown code, a malformed one and a
    wrong one all give None the same way."""
    return tracking.find(InfoRequest, code)


def public_history(request: InfoRequest) -> list[RequestEvent]:
    """What the applicant and the archive see: never internal notes."""
    return [e for e in request.events if e.public and e.type is not EventType.NOTE]


def amend(request: InfoRequest, text: str, now: datetime | None = None) -> None:
    """The applicant answers the office's 补正 request: the clock starts again from today.

    :raise RequestError: nothing to amend, or an empty answer.
    """
    if request.status is not Status.AMEND:
        raise RequestError("这个申请现在不需要补正", "text")
    if not text.strip():
        raise RequestError("请填写补正的内容", "text")
    now = now or utcnow()
    day = today(now)
    request.status, request.amended_on, request.clock_start = Status.RECEIVED, day, day
    request.extension_days, request.paused_days, request.updated_at = 0, 0, now
    request.deadline = periods.deadline_of(request)
    request.events.append(RequestEvent(type=EventType.AMENDED, text=text.strip(), public=False,
                                       at=now))
    request.events.append(RequestEvent(
        type=EventType.AMENDED, at=now,
        text=f"申请人已补正，答复期限重新计算，应在 {request.deadline.isoformat()} 前答复。"))
    _public_record("request_amended", request, "申请人补正")
    db.session.commit()
