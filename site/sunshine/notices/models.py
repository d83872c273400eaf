"""Notices, their entries (masked household lists), linked projects and funds, and the rulings
on objections.

An objection is a complaints ``Case`` of kind 异议 aimed at the notice (target ``notice``);
``NoticeObjection`` adds what the notice needs: which entry it is about and the ruling.
Entries hold only what may be public: a masked name, the village, the household size and a
reason. The household's archive number is kept for staff (no duplicates, tracing back to the
register) and never leaves the back office.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.complaints.models import Case
from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.regions.models import Region


class NoticeKind(enum.StrEnum):
    IDENTIFICATION = "identification"
    EXIT = "exit"
    MONITORING = "monitoring"
    PROJECT = "project"
    FUND = "fund"
    RESULT = "result"  # 结果公告: made by finalizing a notice, never drafted by hand

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def lists_households(self) -> bool:
        return self in HOUSEHOLD_KINDS

    @property
    def record_type(self) -> str | None:
        """The kind of record a project or fund notice links (``project`` or ``fund``)."""
        return {NoticeKind.PROJECT: "project", NoticeKind.FUND: "fund"}.get(self)


KIND_LABELS = {
    NoticeKind.IDENTIFICATION: "贫困户识别公示", NoticeKind.EXIT: "脱贫退出公示",
    NoticeKind.MONITORING: "返贫/监测对象公示", NoticeKind.PROJECT: "项目公示",
    NoticeKind.FUND: "资金公示", NoticeKind.RESULT: "结果公告",
}
HOUSEHOLD_KINDS = frozenset({NoticeKind.IDENTIFICATION, NoticeKind.EXIT, NoticeKind.MONITORING})
#: Kinds staff draft; a 结果公告 comes only from finalizing one of these.
DRAFT_KINDS = [k for k in NoticeKind if k is not NoticeKind.RESULT]
#: The column heading of an entry's reason, by kind.
REASON_HEADINGS = {NoticeKind.IDENTIFICATION: "主要致贫原因", NoticeKind.EXIT: "退出情况",
                   NoticeKind.MONITORING: "返贫情况"}


class NoticeState(enum.StrEnum):
    """Computed from the clock and the notice's dates; never stored."""

    PENDING = "pending"
    OPEN = "open"
    EXPIRED = "expired"
    ANNOUNCED = "announced"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {NoticeState.PENDING: "待发布", NoticeState.OPEN: "公示中",
                NoticeState.EXPIRED: "公示期满", NoticeState.ANNOUNCED: "已公告",
                NoticeState.WITHDRAWN: "已撤回"}
#: The badge colour of each state (see the ``status_badge`` macro).
STATE_BADGES = {NoticeState.PENDING: "info", NoticeState.OPEN: "ok",
                NoticeState.EXPIRED: "warn", NoticeState.ANNOUNCED: "info",
                NoticeState.WITHDRAWN: "danger"}


class Ruling(enum.StrEnum):
    UPHELD = "upheld"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {Ruling.UPHELD: "成立", Ruling.DISMISSED: "不成立"}[self]


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Notice(db.Model):  # type: ignore[name-defined]
    __tablename__ = "notice"
    __table_args__ = (
        Index("ix_notice_public", "published_at", "starts_at", "id"),
        Index("ix_notice_region", "region_code", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(_enum(NoticeKind), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    body_html: Mapped[str] = mapped_column(Text, default="")  # rendered once, sanitized
    # The register year the household list is about (identification, exit, monitoring).
    register_year: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # The period: first and last day (China dates), and as instants: the start of the first
    # day and the start of the day after the last (the legal clock runs out then).
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    # A 结果公告 names the notice it closes.
    result_of_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"), default=None,
                                                     index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"),
                                                      default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")
    entries: Mapped[list[NoticeEntry]] = relationship(
        back_populates="notice", order_by="NoticeEntry.position", cascade="all, delete-orphan")
    links: Mapped[list[NoticeLink]] = relationship(
        back_populates="notice", order_by="NoticeLink.id", cascade="all, delete-orphan")
    result_of: Mapped[Notice | None] = relationship(remote_side="Notice.id",
                                                    foreign_keys=[result_of_id])

    @property
    def url(self) -> str:
        return f"/notices/{self.id}"

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def period_days(self) -> int:
        return (self.end_on - self.start_on).days + 1

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.kind.value}>"


class NoticeEntry(db.Model):  # type: ignore[name-defined]
    """One line of a household list: only what may be public, masked by the server."""

    __tablename__ = "notice_entry"
    __table_args__ = (UniqueConstraint("notice_id", "household_id",
                                       name="uq_notice_entry_household"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # The archive number it was drawn from: for staff only, never shown or exported.
    household_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    masked_name: Mapped[str] = mapped_column(String(40))
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    household_size: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    reason: Mapped[str] = mapped_column(String(200), default="")

    notice: Mapped[Notice] = relationship(back_populates="entries")
    village: Mapped[Region] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return f"{self.masked_name}（{self.village.name}）"


class NoticeLink(db.Model):  # type: ignore[name-defined]
    """A project or fund in a notice, with the facts as they were when it was linked."""

    __tablename__ = "notice_link"
    __table_args__ = (UniqueConstraint("notice_id", "record_type", "record_id",
                                       name="uq_notice_link_record"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(16))  # project, fund
    record_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(String(500), default="")
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))

    notice: Mapped[Notice] = relationship(back_populates="links")
    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def url(self) -> str:
        return f"/{self.record_type}s/{self.record_id}"


class NoticeObjection(db.Model):  # type: ignore[name-defined]
    """What a notice adds to an objection case: the entry it is about and the ruling."""

    __tablename__ = "notice_objection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("complaint_case.id"), unique=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("notice_entry.id"), default=None)
    ruling: Mapped[Ruling | None] = mapped_column(_enum(Ruling), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ruled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    entry: Mapped[NoticeEntry | None] = relationship()
