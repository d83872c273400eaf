"""Requests for disclosure (依申请公开): the request and its clock, its history, and the
applicant's identity, which lives in its own table, encrypted.

An office is not a table: it is a region and a kind of office (the county's 乡村振兴局, a
town's 人民政府 ...), written ``<region code>-<kind>`` in addresses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.regions.models import Region


class OfficeKind(enum.StrEnum):
    RURAL = "rural"  # 乡村振兴局（扶贫办）: province, city, county
    GOVERNMENT = "government"  # 人民政府: province down to town
    FINANCE = "finance"  # 财政局: province, city, county

    @property
    def label(self) -> str:
        return OFFICE_KIND_LABELS[self]

    @property
    def lowest_level(self) -> int:
        """The deepest region level that has such an office (4: towns)."""
        return 4 if self is OfficeKind.GOVERNMENT else 3


OFFICE_KIND_LABELS = {OfficeKind.RURAL: "乡村振兴局（扶贫办）", OfficeKind.GOVERNMENT: "人民政府",
                      OfficeKind.FINANCE: "财政局"}
#: The names offices go by at each level (a province's finance office is a 厅).
_SUFFIXES = {OfficeKind.RURAL: "乡村振兴局", OfficeKind.GOVERNMENT: "人民政府",
             OfficeKind.FINANCE: "财政局"}


@dataclass(frozen=True)
class Office:
    region: Region
    kind: OfficeKind

    @property
    def key(self) -> str:
        return f"{self.region.code}-{self.kind.value}"

    @property
    def name(self) -> str:
        return office_name(self.region.name, self.region.level, self.kind)


def office_name(region_name: str, level: int, kind: OfficeKind) -> str:
    """What an office is called: the region's name and the office's (a province's finance
    office is a 厅)."""
    suffix = "财政厅" if kind is OfficeKind.FINANCE and level == 1 else _SUFFIXES[kind]
    return f"{region_name}{suffix}"


class Delivery(enum.StrEnum):
    ONLINE = "online"
    EMAIL = "email"
    PAPER = "paper"

    @property
    def label(self) -> str:
        return {"online": "网上查看（凭查询码）", "email": "电子邮件",
                "paper": "纸质邮寄"}[self.value]


class ApplicantType(enum.StrEnum):
    """The columns of the annual report's request tables."""

    PERSON = "person"
    BUSINESS = "business"
    RESEARCH = "research"
    CHARITY = "charity"
    LEGAL = "legal"
    OTHER = "other"

    @property
    def label(self) -> str:
        return APPLICANT_TYPE_LABELS[self]


APPLICANT_TYPE_LABELS = {
    ApplicantType.PERSON: "自然人", ApplicantType.BUSINESS: "商业企业",
    ApplicantType.RESEARCH: "科研机构", ApplicantType.CHARITY: "社会公益组织",
    ApplicantType.LEGAL: "法律服务机构", ApplicantType.OTHER: "其他组织"}


class Status(enum.StrEnum):
    RECEIVED = "received"  # the clock runs
    AMEND = "amend"  # 补正 asked for: the clock stops until the applicant answers
    CONSULTING = "consulting"  # a third party is consulted: the time is not counted
    ANSWERED = "answered"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {Status.RECEIVED: "办理中", Status.AMEND: "待补正",
                 Status.CONSULTING: "征求第三方意见", Status.ANSWERED: "已答复"}
#: States in which the office owes an answer by the deadline.
RUNNING = frozenset({Status.RECEIVED, Status.CONSULTING})


class Outcome(enum.StrEnum):
    """The answers the regulation names (政府信息公开条例 第三十六条 and the following)."""

    DISCLOSED = "disclosed"
    PARTIAL = "partial"
    WITHHELD = "withheld"
    UNAVAILABLE = "unavailable"
    NOT_OURS = "not_ours"
    DUPLICATE = "duplicate"
    NOT_HANDLED = "not_handled"
    LAPSED = "lapsed"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.DISCLOSED: "予以公开", Outcome.PARTIAL: "部分公开", Outcome.WITHHELD: "不予公开",
    Outcome.UNAVAILABLE: "无法提供（信息不存在）", Outcome.NOT_OURS: "不属于本机关",
    Outcome.DUPLICATE: "重复申请", Outcome.NOT_HANDLED: "不予处理",
    Outcome.LAPSED: "逾期未补正，视为放弃"}


@dataclass(frozen=True)
class Basis:
    """A legal basis of an answer, and the row of the annual report it is counted in."""

    label: str
    article: str
    row: str


_WITHHOLD = {
    "secret": Basis("属于国家秘密", "第十四条", "withheld_secret"),
    "law": Basis("其他法律行政法规禁止公开", "第十四条", "withheld_law"),
    "safety": Basis("危及“三安全一稳定”", "第十四条", "withheld_safety"),
    "third_party": Basis("保护第三方合法权益", "第十五条", "withheld_third_party"),
    "internal": Basis("属于三类内部事务信息", "第十六条第一款", "withheld_internal"),
    "process": Basis("属于四类过程性信息", "第十六条第二款", "withheld_process"),
    "enforcement": Basis("属于行政执法案卷", "第十六条第二款", "withheld_enforcement"),
    "inquiry": Basis("属于行政查询事项", "第三十六条第（七）项", "withheld_inquiry"),
}
#: The bases each outcome may name; the first of each is not a default, every one is a choice.
BASES: dict[Outcome, dict[str, Basis]] = {
    Outcome.DISCLOSED: {
        "open": Basis("予以公开", "第三十六条第（二）项", "disclosed"),
        "published": Basis("已主动公开，告知获取的方式和途径", "第三十六条第（一）项",
                           "disclosed")},
    Outcome.PARTIAL: _WITHHOLD,
    Outcome.WITHHELD: _WITHHOLD,
    Outcome.UNAVAILABLE: {
        "not_held": Basis("本机关不掌握相关政府信息", "第三十六条第（四）项",
                          "unavailable_not_held"),
        "not_ready": Basis("没有现成信息需要另行制作", "第三十八条", "unavailable_not_ready"),
        "unclear": Basis("补正后申请内容仍不明确", "第三十条", "unavailable_unclear")},
    Outcome.NOT_OURS: {
        "other_office": Basis("不属于本机关负责公开，告知负责公开的机关", "第三十六条第（五）项",
                              "unavailable_not_held")},
    Outcome.DUPLICATE: {
        "repeat": Basis("已就同一内容作出答复，不予重复处理", "第三十六条第（六）项",
                        "not_handled_repeat")},
    Outcome.NOT_HANDLED: {
        "petition": Basis("信访举报投诉类申请", "第三十九条第一款", "not_handled_petition"),
        "publication": Basis("要求提供公开出版物", "第三十九条第二款",
                             "not_handled_publication"),
        "mass": Basis("无正当理由大量反复申请", "第三十五条", "not_handled_mass"),
        "confirm": Basis("要求行政机关确认或重新出具已获取信息", "第三十九条",
                         "not_handled_confirm")},
    Outcome.LAPSED: {
        "no_amend": Basis("申请人无正当理由逾期不补正，视为放弃申请", "第三十条",
                          "other_no_amend")},
}


class EventType(enum.StrEnum):
    RECEIVED = "received"
    EXTENDED = "extended"
    AMEND = "amend"  # the office asked for 补正
    AMENDED = "amended"  # the applicant answered it
    CONSULT = "consult"
    CONSULTED = "consulted"
    ANSWERED = "answered"
    OVERDUE = "overdue"
    FILES = "files"  # more documents sent after the answer
    NOTE = "note"  # internal: never shown to the applicant or the public


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class InfoRequest(db.Model):  # type: ignore[name-defined]
    __tablename__ = "info_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    office_kind: Mapped[OfficeKind] = mapped_column(_enum(OfficeKind), index=True)
    # The page of this site the request is about ("/funds/12"), or "".
    about: Mapped[str] = mapped_column(String(200), default="", index=True)
    subject: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery), default=Delivery.ONLINE)
    applicant_type: Mapped[ApplicantType] = mapped_column(_enum(ApplicantType),
                                                          default=ApplicantType.PERSON)
    consent_to_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the archive shows of the question: masked and checked, or "" (no consent, or the
    # text held a personal number and waits for staff to clean it).
    public_subject: Mapped[str] = mapped_column(String(100), default="")
    public_body: Mapped[str] = mapped_column(Text, default="")
    # HMAC-SHA256 of the normalised tracking code; the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Filled too fast, or the honeypot: kept, but out of the archive until a person looks.
    held: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.RECEIVED, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The China date the clock counts from: receipt, or the day the amendment came in.
    clock_start: Mapped[date] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    consult_since: Mapped[date | None] = mapped_column(Date, default=None)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    amend_asked_on: Mapped[date | None] = mapped_column(Date, default=None)
    amend_text: Mapped[str] = mapped_column(Text, default="")  # what the office asked for
    amended_on: Mapped[date | None] = mapped_column(Date, default=None)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    was_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome), default=None, index=True)
    basis: Mapped[str] = mapped_column(String(16), default="")
    withheld: Mapped[str] = mapped_column(Text, default="")  # 部分公开: what was held back
    referred_to: Mapped[str] = mapped_column(String(200), default="")  # 不属于本机关
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    answered_on_time: Mapped[bool | None] = mapped_column(Boolean, default=None)
    working_days: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    office_region: Mapped[Region] = relationship(lazy="joined")
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan")

    @property
    def office(self) -> Office:
        return Office(self.office_region, self.office_kind)

    @property
    def basis_entry(self) -> Basis | None:
        return BASES.get(self.outcome, {}).get(self.basis) if self.outcome else None

    @property
    def public_title(self) -> str:
        return self.public_subject or f"向{self.office.name}申请公开政府信息"

    @property
    def region_name(self) -> str:
        return self.office_region.name

    def overdue(self, today: date) -> bool:
        return self.status in RUNNING and self.deadline < today

    def __repr__(self) -> str:
        return f"<InfoRequest {self.id} {self.status.value}>"


class RequestEvent(db.Model):  # type: ignore[name-defined]
    """One step of a request; ``public`` steps make the history the applicant and the archive
    show. The acting staff member is kept by id (the audit log has the rest)."""

    __tablename__ = "info_request_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("info_request.id"), index=True)
    type: Mapped[EventType] = mapped_column(_enum(EventType))
    text: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[InfoRequest] = relationship(back_populates="events")


class RequestApplicant(db.Model):  # type: ignore[name-defined]
    """Who asked: a Fernet token of ``{"name", "phone", "email", "address"}``.

    Kept apart from ``info_request`` and never loaded by lists, exports, search or public
    pages; read by oversight and by the handling office, one logged view at a time.
    """

    __tablename__ = "info_request_applicant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("info_request.id"), unique=True)
    # A keyed hash of the normalised name and phone: tells different applicants apart for the
    # "often requested" list without reading the sealed identity.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppealKind(enum.StrEnum):
    REVIEW = "review"  # 行政复议
    LAWSUIT = "lawsuit"  # 行政诉讼

    @property
    def label(self) -> str:
        return "行政复议" if self is AppealKind.REVIEW else "行政诉讼"


class AppealResult(enum.StrEnum):
    UPHELD = "upheld"
    CORRECTED = "corrected"
    OTHER = "other"
    PENDING = "pending"

    @property
    def label(self) -> str:
        return {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果",
                "pending": "尚未审结"}[self.value]


class Appeal(db.Model):  # type: ignore[name-defined]
    """An administrative review or lawsuit about an office's disclosure, entered by staff for
    the annual report's last table."""

    __tablename__ = "info_request_appeal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    office_kind: Mapped[OfficeKind] = mapped_column(_enum(OfficeKind))
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[AppealKind] = mapped_column(_enum(AppealKind))
    result: Mapped[AppealResult] = mapped_column(_enum(AppealResult))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("info_request.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
