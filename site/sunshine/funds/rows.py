"""Plain rows of the money pages: an allocation as the list and the API show it, and the
figures of a summary table. Read as column tuples (a list page's ORM objects would cost ten
times its rows), with the same names and figures as the models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from markupsafe import Markup

from sunshine.funds import cells
from sunshine.funds.models import FundFigures
from sunshine.records.money import money_text, percent


class _FundColumns(NamedTuple):
    id: int
    year: int
    name: str
    document_number: str
    issuer: str
    source_level: str
    fund_type: str
    region_code: str
    region_name: str
    amount: Decimal
    lined: Decimal
    spent: Decimal
    purpose: str
    issued_on: date
    published_on: date | None
    deadline: date
    state: str
    version: int


class FundRow(FundFigures, _FundColumns):
    """A published allocation as the list page and the API show it: a plain row, with the
    region's name, and ``Fund``'s figures (``FundFigures``)."""

    __slots__ = ()

    # The list's cells (see ``cells``).
    @property
    def amount_text(self) -> str:
        return cells.amount(self.amount)

    @property
    def progress_html(self) -> Markup:
        return cells.progress(self.progress)


@dataclass
class Figures:
    """Allocated, spent, balance and 支出进度 for one row of a summary."""

    label: str
    allocated: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)
    funds: int = 0
    code: str | None = None

    @property
    def balance(self) -> Decimal:
        return self.allocated - self.spent

    @property
    def progress(self) -> Decimal | None:
        return percent(self.spent, self.allocated)

    # A summary table's cells (see ``cells``).
    @property
    def allocated_wan(self) -> str:
        return cells.amount(self.allocated, "万元")

    @property
    def spent_wan(self) -> str:
        return cells.amount(self.spent, "万元")

    @property
    def balance_wan(self) -> str:
        return cells.amount(self.balance, "万元")

    @property
    def progress_html(self) -> Markup:
        return cells.progress(self.progress)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "allocated": money_text(self.allocated),
                "spent": money_text(self.spent), "balance": money_text(self.balance),
                "progress": str(self.progress) if self.progress is not None else None,
                "funds": self.funds, **({"code": self.code} if self.code else {})}


@dataclass
class Summary:
    total: Figures
    by_year: list[Figures] = field(default_factory=list)
    by_level: list[Figures] = field(default_factory=list)
    by_type: list[Figures] = field(default_factory=list)
    by_region: list[Figures] = field(default_factory=list)
