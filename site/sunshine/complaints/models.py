"""Cases (投诉举报 / 意见建议 / 满意度评价, and later 异议), their history, photos and the
reporter's identity, which lives in its own table, encrypted.

One ``Case`` model serves every kind, so that the notices feature can file objections (异议)
through the same handling, deadlines and statistics.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.regions.models import Region


class Kind(enum.StrEnum):
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    RATING = "rating"
    OBJECTION = "objection"  # 异议: filed from a public notice (the notices feature)

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {Kind.COMPLAINT: "投诉", Kind.REPORT: "举报", Kind.SUGGESTION: "意见建议",
               Kind.RATING: "满意度评价", Kind.OBJECTION: "异议"}
#: What the public form offers; objections are filed from a notice instead.
PUBLIC_KINDS = [Kind.COMPLAINT, Kind.REPORT, Kind.SUGGESTION, Kind.RATING]
KIND_HINTS = {
    Kind.COMPLAINT: "自己或家人的事没有办好，例如补助没发、办事被推诿。",
    Kind.REPORT: "发现违纪违规，例如挪用扶贫资金、优亲厚友、虚报冒领。",
    Kind.SUGGESTION: "对扶贫工作有想法或建议，或想咨询政策。",
    Kind.RATING: "对帮扶干部、项目或办事的满意程度。",
}

CATEGORIES = ["资金使用", "项目建设", "识别不准", "干部作风", "政策咨询", "其他"]


class Status(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    CLOSED = "closed"
    TRANSFERRED = "transferred"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        """Waiting for an answer: the reply deadline runs."""
        return self in OPEN_STATUSES


STATUS_LABELS = {Status.SUBMITTED: "已提交", Status.ACCEPTED: "已受理",
                 Status.REJECTED: "不予受理", Status.IN_PROGRESS: "办理中",
                 Status.REPLIED: "已答复", Status.CLOSED: "已办结",
                 Status.TRANSFERRED: "已转办", Status.OVERDUE: "逾期"}
OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS,
                           Status.TRANSFERRED, Status.OVERDUE})


class Moderation(enum.StrEnum):
    """Suspected spam waits in a queue for a person instead of being dropped silently."""

    NONE = "none"
    HELD = "held"
    SPAM = "spam"


class Rating(enum.StrEnum):
    SATISFIED = "satisfied"
    FAIRLY = "fairly"
    DISSATISFIED = "dissatisfied"

    @property
    def label(self) -> str:
        return RATING_LABELS[self]


RATING_LABELS = {Rating.SATISFIED: "满意", Rating.FAIRLY: "基本满意",
                 Rating.DISSATISFIED: "不满意"}


class EventType(enum.StrEnum):
    STATUS = "status"  # a change of state, with its public explanation
    REPLY = "reply"  # the official answer the reporter reads
    NOTE = "note"  # internal: never shown to the reporter or the public
    RATING = "rating"  # the reporter's rating
    REOPEN = "reopen"  # the reporter reopened once, dissatisfied
    FOLLOWUP = "followup"  # internal: the reporter was asked whether it was resolved
    VERDICT = "verdict"  # the reporter's answer: 解决了 / 部分解决 / 没有解决


#: The follow-up question's answers, as stored in a VERDICT event's text after "群众回访：".
VERDICTS = {"resolved": "解决了", "partly": "部分解决", "unresolved": "没有解决"}
VERDICT_PREFIX = "群众回访："


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Case(db.Model):  # type: ignore[name-defined]
    __tablename__ = "complaint_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[Kind] = mapped_column(_enum(Kind), index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    # Where the matter happened (down to a village) and the unit that handles it.
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    handling_region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    # The reporter said the case is about village or town cadres: routed one level up.
    about_local_cadres: Mapped[bool] = mapped_column(Boolean, default=False)
    # Optional target: ("fund", "12"), ("project", "3"), ("notice", "7") or ("unit", "") with a
    # free-text name in target_label.
    target_type: Mapped[str | None] = mapped_column(String(16), default=None)
    target_id: Mapped[str | None] = mapped_column(String(64), default=None)
    target_label: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    # Whether a name and phone were left (they are in CaseReporter, encrypted), never which.
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_to_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    # HMAC-SHA256 of the normalised tracking code; the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.SUBMITTED, index=True)
    moderation: Mapped[Moderation] = mapped_column(_enum(Moderation), default=Moderation.NONE,
                                                   index=True)
    moderation_reason: Mapped[str] = mapped_column(String(200), default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The first answer (a reply, or 不予受理 with its reason): what the deadline measures.
    first_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set once a case has passed its deadline unanswered; stays set (the record of lateness).
    was_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    redirect_to: Mapped[str] = mapped_column(String(300), default="")  # 不予受理: where to go
    rating: Mapped[Rating | None] = mapped_column(_enum(Rating), default=None)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # The published Q&A: anonymized by staff, checked by the publish guard.
    public_title: Mapped[str] = mapped_column(String(100), default="")
    public_question: Mapped[str] = mapped_column(Text, default="")
    public_answer: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship(foreign_keys=[region_code], lazy="joined")
    handling_region: Mapped[Region] = relationship(foreign_keys=[handling_region_code],
                                                   lazy="joined")
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan")
    photos: Mapped[list[CasePhoto]] = relationship(
        back_populates="case", order_by="CasePhoto.id", cascade="all, delete-orphan")

    def overdue(self, now: datetime) -> bool:
        """Still waiting for an answer after its deadline."""
        return self.status.is_open and self.deadline < now

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def latest_reply(self) -> CaseEvent | None:
        replies = [e for e in self.events if e.type == EventType.REPLY]
        return replies[-1] if replies else None

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.kind.value} {self.status.value}>"


class CaseEvent(db.Model):  # type: ignore[name-defined]
    """One step of a case. ``public`` events make the history the reporter sees; notes never
    are public. The acting staff member is kept by id (the audit log has the rest)."""

    __tablename__ = "complaint_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    type: Mapped[EventType] = mapped_column(_enum(EventType))
    status: Mapped[Status | None] = mapped_column(_enum(Status), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    # The unit that acted, for the history shown to the reporter (never a person's name).
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")
    unit: Mapped[Region | None] = relationship(lazy="joined")


class CasePhoto(db.Model):  # type: ignore[name-defined]
    """A re-encoded photo (no EXIF, no GPS) under UPLOAD_DIR/complaints/ with a random name."""

    __tablename__ = "complaint_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), index=True)
    filename: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)

    case: Mapped[Case] = relationship(back_populates="photos")


class CaseReporter(db.Model):  # type: ignore[name-defined]
    """Who filed a named case: a Fernet token of ``{"name": ..., "phone": ...}``.

    Kept apart from ``complaint_case`` and never loaded by lists, exports, search or public
    pages; only the oversight role reads it, one logged view at a time.
    """

    __tablename__ = "complaint_reporter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), unique=True)
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
