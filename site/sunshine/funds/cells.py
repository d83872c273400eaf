"""The cells repeated on every row of the money tables, formatted once in Python: a macro call
and a filter chain per cell cost a list page more than its queries. Each gives the HTML of the
macro or filter it stands for (``progress`` in _macros/records.html, the ``money`` filter)."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup

from sunshine.records.money import CENT

TEN_THOUSAND = Decimal(10000)
NO_PROGRESS = Markup('<span class="muted">—</span>')


def amount(value: Decimal | int | None, unit: str = "元") -> str:
    """``value|money(unit)`` without the unit: "12,500.00"; in 万元 divided by 10,000."""
    if value is None:
        return "—"
    number = Decimal(value)
    if unit == "万元":
        number = number / TEN_THOUSAND
    return f"{number.quantize(CENT):,}"


def progress(value: Decimal | None) -> Markup:
    """支出进度 as a bar and text, as the ``progress`` macro draws it."""
    if value is None:
        return NO_PROGRESS
    return Markup(
        '<svg class="progress" viewBox="0 0 100 10" width="60" height="10" aria-hidden="true">'
        '<rect class="progress-track" width="100" height="10" rx="5"/><rect class="progress-bar"'
        f' width="{min(value, 100)}" height="10" rx="5"/></svg> {value}%')
