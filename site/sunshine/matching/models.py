"""Needs (帮扶需求), their lines, donors' pledges, the public history and consented photos.

Every need has one or more lines (``NeedItem``): goods counted in units, or one money line
counted in fen. Each line keeps its own ``pledged`` counter, changed only by conditional
UPDATEs (see ``pledges.py``) and guarded by a CHECK constraint, so that the sum of the holding
pledges of a line never exceeds what it needs.

The household a need is for (``household_id``) is internal: no public page, export, API answer
or search document reads it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.records.money import Money, from_fen
from sunshine.regions.models import Region
from sunshine.stats.models import ArchiveNumber
from sunshine.uploads import PhotoColumns

CATEGORIES = ["助学", "助医", "生活", "生产", "住房", "就业"]
URGENCY = {1: "特别紧急", 2: "紧急", 3: "一般"}
UNITS = ["个", "件", "套", "本", "支", "台", "张", "床", "袋", "箱", "桶", "斤", "公斤", "只",
         "头", "株", "份", "次", "天", "平方米"]
MONEY_UNIT = "元"
DONOR_KINDS = {"person": "个人", "org": "单位"}
ANONYMOUS = "爱心人士"


class NeedState(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    PARTLY = "partly"
    PLEDGED = "pledged"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    THANKED = "thanked"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return NEED_STATE_LABELS[self]


NEED_STATE_LABELS = {
    NeedState.DRAFT: "草稿", NeedState.PENDING: "待审核", NeedState.PUBLISHED: "已发布",
    NeedState.PARTLY: "部分认领", NeedState.PLEDGED: "已认领", NeedState.DELIVERING: "配送中",
    NeedState.DELIVERED: "已送达", NeedState.THANKED: "已致谢", NeedState.CLOSED: "已结束",
    NeedState.WITHDRAWN: "已撤回", NeedState.EXPIRED: "已过期",
}
#: Needs that accept pledges (until their deadline).
OPEN_STATES = (NeedState.PUBLISHED, NeedState.PARTLY)
#: Needs whose state follows their pledges (``pledges.settle``).
LIVE_STATES = (*OPEN_STATES, NeedState.PLEDGED, NeedState.DELIVERING)
#: Needs the public sees; drafts, needs under review and withdrawn ones are not public.
PUBLIC_STATES = (*LIVE_STATES, NeedState.DELIVERED, NeedState.THANKED, NeedState.CLOSED,
                 NeedState.EXPIRED)
DONE_STATES = (NeedState.DELIVERED, NeedState.THANKED, NeedState.CLOSED)


class PledgeState(enum.StrEnum):
    ACTIVE = "active"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return PLEDGE_STATE_LABELS[self]


PLEDGE_STATE_LABELS = {
    PledgeState.ACTIVE: "已认领（保留中）", PledgeState.DELIVERING: "配送中",
    PledgeState.DELIVERED: "已送达，待确认", PledgeState.CONFIRMED: "已确认送达",
    PledgeState.CANCELLED: "已取消", PledgeState.EXPIRED: "已过期",
}
#: Pledges that hold their share of a line; ``NeedItem.pledged`` is the sum of these.
HOLDING_STATES = (PledgeState.ACTIVE, PledgeState.DELIVERING, PledgeState.DELIVERED,
                  PledgeState.CONFIRMED)
#: Delivery has started: such a pledge no longer expires and a donor cannot cancel it.
STARTED_STATES = (PledgeState.DELIVERING, PledgeState.DELIVERED, PledgeState.CONFIRMED)


def show_units(units: int, unit: str, money: bool) -> str:
    """A quantity of a line as people read it: "3 套" or "1200.00 元"."""
    if money:
        return f"{from_fen(units):,} 元"
    return f"{units} {unit}"


class _PledgeShape(Protocol):
    state: str
    quantity: int
    unit: str
    money: bool


class PledgeRowFigures:
    """What a pledge's plain row shows of its state and amount (the donor's own list and a
    need's page read pledges as rows, not as ``Pledge`` objects)."""

    @property
    def status(self: _PledgeShape) -> PledgeState:
        return PledgeState(self.state)

    @property
    def amount_text(self: _PledgeShape) -> str:
        return show_units(self.quantity, self.unit, self.money)


class _Line(Protocol):
    needed: int
    pledged: int


def percent_pledged(items: Sequence[_Line]) -> int:
    """Share of a need pledged, the mean over its lines (units of goods differ)."""
    if not items:
        return 0
    return int(sum(item.pledged / item.needed for item in items) / len(items) * 100)


class _NeedShape(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def urgency(self) -> int: ...
    @property
    def items(self) -> Sequence[_Line]: ...


class NeedFigures:
    """What a need shows from its state, urgency and lines: shared by ``Need`` and the plain
    rows that list pages read, so the two never tell a need's figures apart."""

    @property
    def status(self: _NeedShape) -> NeedState:
        return NeedState(self.state)

    @property
    def urgency_label(self: _NeedShape) -> str:
        return URGENCY.get(self.urgency, "一般")

    @property
    def url(self: _NeedShape) -> str:
        return f"/help/{self.id}"

    @property
    def needed(self: _NeedShape) -> int:
        return sum(item.needed for item in self.items)

    @property
    def pledged(self: _NeedShape) -> int:
        return sum(item.pledged for item in self.items)

    @property
    def remaining(self: _NeedShape) -> int:
        return sum(item.needed - item.pledged for item in self.items)

    @property
    def percent(self: _NeedShape) -> int:
        return percent_pledged(self.items)


class Need(NeedFigures, db.Model):  # type: ignore[name-defined]
    __tablename__ = "matching_need"
    __table_args__ = (
        # The public list: by state, most urgent first, then the nearest deadline.
        Index("ix_matching_need_public", "state", "urgency", "deadline", "id"),
        Index("ix_matching_need_county", "county_code", "state"),
        CheckConstraint("urgency BETWEEN 1 AND 3", name="urgency_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ArchiveNumber, ForeignKey("household.id"),
                                              index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    county_code: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(100))
    story: Mapped[str] = mapped_column(Text, default="")
    money: Mapped[bool] = mapped_column(Boolean, default=False)  # an amount, not goods
    urgency: Mapped[int] = mapped_column(SmallInteger, default=3)
    deadline: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default=NeedState.DRAFT.value)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: The creator's region when the need was made: the verifier must be of a higher level.
    creator_region: Mapped[str] = mapped_column(String(12))
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    review_note: Mapped[str] = mapped_column(String(500), default="")
    withdraw_reason: Mapped[str] = mapped_column(String(500), default="")
    thanks_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: Bumped by every change of the need's pledges: the UPDATE takes the need's row lock
    #: (the write lock on SQLite), so changes of one need's pledges run one at a time.
    lock_seq: Mapped[int] = mapped_column(Integer, default=0)

    village: Mapped[Region] = relationship(lazy="joined")
    items: Mapped[list[NeedItem]] = relationship(order_by="NeedItem.position",
                                                 cascade="all, delete-orphan",
                                                 back_populates="need", lazy="selectin")
    events: Mapped[list[NeedEvent]] = relationship(order_by="NeedEvent.id",
                                                   cascade="all, delete-orphan")
    photos: Mapped[list[NeedPhoto]] = relationship(order_by="NeedPhoto.id",
                                                   cascade="all, delete-orphan")



class NeedItem(db.Model):  # type: ignore[name-defined]
    """One line of a need: goods in units, or (``money``) an amount in fen."""

    __tablename__ = "matching_item"
    __table_args__ = (
        CheckConstraint("needed > 0", name="needed_positive"),
        CheckConstraint("pledged >= 0 AND pledged <= needed", name="pledged_within_needed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("matching_need.id"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(10))
    money: Mapped[bool] = mapped_column(Boolean, default=False)
    needed: Mapped[int] = mapped_column(BigInteger)  # units, or fen for money
    pledged: Mapped[int] = mapped_column(BigInteger, default=0)
    price: Mapped[Decimal | None] = mapped_column(Money, default=None)  # estimated, per unit

    need: Mapped[Need] = relationship(back_populates="items")

    @property
    def remaining(self) -> int:
        return self.needed - self.pledged

    def show(self, units: int) -> str:
        return show_units(units, self.unit, self.money)


class Pledge(db.Model):  # type: ignore[name-defined]
    """A donor's pledge of part of one line. The donor's contact is read only by the staff who
    handle the need; ``display_name`` is what the public sees."""

    __tablename__ = "matching_pledge"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_matching_pledge_due", "state", "hold_until"),
        Index("ix_matching_pledge_donor", "donor_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("matching_need.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("matching_item.id"))
    donor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(12), default=PledgeState.ACTIVE.value)
    display_name: Mapped[str] = mapped_column(String(64), default=ANONYMOUS)
    donor_kind: Mapped[str] = mapped_column(String(8), default="person")
    contact: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hold_until: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    #: HMAC of the delivery slip's confirmation code; the code itself is printed, never kept.
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    confirm_method: Mapped[str] = mapped_column(String(12), default="")  # code, countersign
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    end_reason: Mapped[str] = mapped_column(String(200), default="")

    need: Mapped[Need] = relationship()
    item: Mapped[NeedItem] = relationship(lazy="joined")

    @property
    def status(self) -> PledgeState:
        return PledgeState(self.state)

    @property
    def amount_text(self) -> str:
        return self.item.show(self.quantity)

    @property
    def confirm_label(self) -> str:
        return {"code": "受助户凭送达单确认码确认",
                "countersign": "另一名工作人员会签确认"}.get(self.confirm_method, "")


class NeedEvent(db.Model):  # type: ignore[name-defined]
    """One line of a need's public history (never a household's or a donor's details)."""

    __tablename__ = "matching_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("matching_need.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(String(300))


class NeedPhoto(db.Model, PhotoColumns):  # type: ignore[name-defined]
    """A cleaned photo, stored only with the household's recorded consent."""

    __tablename__ = "matching_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("matching_need.id"), index=True)
    consent: Mapped[str] = mapped_column(String(300))
    added_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
