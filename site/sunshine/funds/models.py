"""Allocations (资金下达), their lines, spending (资金支出) and the summary table.

Each fund, line and spending row holds its current version; every version that was ever public
is kept, word for word, in the public record's hash chain (``sunshine.records``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.records.models import State, state_column
from sunshine.records.money import Money, percent
from sunshine.regions.models import Region

SOURCE_LEVELS = ["中央", "省", "市", "县", "社会帮扶"]
FUND_TYPES = ["财政专项扶贫资金", "统筹整合涉农资金", "东西部扶贫协作资金", "定点扶贫资金",
              "社会帮扶资金", "其他资金"]


class _FundShape(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def lined(self) -> Decimal: ...
    @property
    def spent(self) -> Decimal: ...


class FundFigures:
    """What an allocation shows from its amounts: shared by ``Fund`` and the plain rows that
    the list and the API read (``rows.FundRow``), so the two never tell its figures apart."""

    __slots__ = ()  # also a mixin of plain tuples

    @property
    def balance(self: _FundShape) -> Decimal:
        return self.amount - self.spent

    @property
    def progress(self: _FundShape) -> Decimal | None:
        """支出进度 in per cent."""
        return percent(self.spent, self.amount)

    @property
    def unlined(self: _FundShape) -> Decimal:
        return self.amount - self.lined

    @property
    def url(self: _FundShape) -> str:
        return f"/funds/{self.id}"


class Fund(FundFigures, db.Model):  # type: ignore[name-defined]
    """One allocation: a document that sends an amount to a region for a year."""

    __tablename__ = "fund"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("lined >= 0 AND lined <= amount", name="lines_within_amount"),
        CheckConstraint("spent >= 0 AND spent <= amount", name="spent_within_amount"),
        # Every public list is "published, newest first", optionally within a city or county:
        # each has an index that starts with its equality columns and ends with the order.
        Index("ix_fund_public", "state", "issued_on", "id"),
        Index("ix_fund_public_year", "state", "year", "issued_on", "id"),
        Index("ix_fund_city", "city_code", "state", "issued_on", "id"),
        Index("ix_fund_county", "county_code", "state", "issued_on", "id"),
        Index("ix_fund_region", "region_code", "state", "issued_on", "id"),
        Index("ix_fund_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(200))
    document_number: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(100))
    source_level: Mapped[str] = mapped_column(String(8))
    fund_type: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    # Stored so that a city's or county's list is one index range, never a LIKE.
    city_code: Mapped[str | None] = mapped_column(String(12), default=None)
    county_code: Mapped[str | None] = mapped_column(String(12), default=None)
    purpose: Mapped[str] = mapped_column(String(1000), default="")
    issued_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = state_column()
    version: Mapped[int] = mapped_column(Integer, default=0)
    lined: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    spent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    published_on: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str] = mapped_column(String(300), default="")  # the last correction's reason
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def region_name(self) -> str:
        """As the lists' plain rows (``rows.FundRow``) name it."""
        return self.region.name


class FundLine(db.Model):  # type: ignore[name-defined]
    """Part of an allocation assigned to a lower region or to a project (分配明细)."""

    __tablename__ = "fund_line"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("spent >= 0 AND spent <= amount", name="spent_within_amount"),
        Index("ix_fund_line_fund", "fund_id", "state", "id"),
        Index("ix_fund_line_project", "project_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), default=None)
    amount: Mapped[Decimal] = mapped_column(Money)
    spent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    purpose: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(12), default=State.PUBLISHED.value)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fund: Mapped[Fund] = relationship()
    region: Mapped[Region] = relationship(lazy="joined")


class Spending(db.Model):  # type: ignore[name-defined]
    """One payment out of an allocation, for a project where it applies (资金支出)."""

    __tablename__ = "fund_spending"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_fund_spending_fund", "fund_id", "state", "paid_on", "id"),
        Index("ix_fund_spending_project", "project_id", "state", "paid_on", "id"),
        Index("ix_fund_spending_public", "state", "paid_on", "id"),
        Index("ix_fund_spending_city", "city_code", "state", "paid_on", "id"),
        Index("ix_fund_spending_county", "county_code", "state", "paid_on", "id"),
        Index("ix_fund_spending_region", "region_code", "state", "paid_on", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("fund_line.id"), default=None)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), default=None)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date] = mapped_column(Date)
    payee: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(500), default="")
    voucher: Mapped[str] = mapped_column(String(64), default="")
    # The allocation's region, copied so that exports filter by index ranges alone.
    region_code: Mapped[str] = mapped_column(String(12))
    city_code: Mapped[str | None] = mapped_column(String(12), default=None)
    county_code: Mapped[str | None] = mapped_column(String(12), default=None)
    state: Mapped[str] = mapped_column(String(12), default=State.PUBLISHED.value)
    version: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fund: Mapped[Fund] = relationship()


class FundTotal(db.Model):  # type: ignore[name-defined]
    """Published allocations summed per region (each ancestor too), year, level and type.

    Kept up to date by the services with each change, so that no page ever sums the fund or
    spending tables: the province page reads a few hundred rows of this table.
    """

    __tablename__ = "fund_total"

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    source_level: Mapped[str] = mapped_column(String(8), primary_key=True)
    fund_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    allocated: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    spent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    funds: Mapped[int] = mapped_column(Integer, default=0)
