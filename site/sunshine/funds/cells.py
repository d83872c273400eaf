"""The cells repeated on every row of the money tables, formatted once in Python: a macro call
and a filter chain per cell cost a list page more than its queries. Each gives the HTML of the
macro or filter it stands for (``progress`` in _macros/records.html, the ``money`` filter)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

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


def rate(value: Decimal | None) -> str:
    """A 公开及时率 cell: "93.5%", or "—" when nothing was due."""
    return "—" if value is None else f"{value}%"


def timeliness_rows(funds_url: str, rows: list[tuple[Any, Any, Any]]) -> Markup:
    """The rows of the 公开及时率 table, one a county: (county, funds', projects' Timeliness).
    A hundred counties through a Jinja loop cost the page half its time."""
    return Markup("".join(
        f'  <tr>\n    <th scope="row"><a href="{funds_url}?region={county.code}">'
        f'{escape(county.name)}</a></th>\n'
        f'    <td class="num">{f.due}</td><td class="num">{f.on_time}</td>\n'
        f'    <td class="num">{rate(f.rate)}</td>\n'
        f'    <td class="num">{f.overdue_drafts}</td>\n'
        f'    <td class="num">{p.due}</td><td class="num">{rate(p.rate)}</td>\n  </tr>\n'
        for county, f, p in rows))


def ledger_rows(entries: list[Any], urls: dict[str, Any], labels: dict[str, str],
                actions: dict[str, str]) -> Markup:
    """The rows of the public record's newest entries (fifty through a Jinja loop were half
    the page's time)."""
    lines = []
    for e in entries:
        kind, number = e.record_type, escape(e.record_id)
        if kind in urls and urls[kind]:
            href = f"/funds/{number}" if kind == "fund" else \
                f"/projects/{number}" if kind == "project" else "#"
            record = f'<a href="{href}">{escape(labels.get(kind, kind))} #{number}</a>'
        else:
            record = f"{escape(kind)} #{number}"
        lines.append(
            f'  <tr>\n    <td class="num">{e.seq}</td>\n'
            f"    <td>{record} 第 {e.version} 版</td>\n"
            f"    <td>{escape(actions.get(e.action, e.action))}</td>\n"
            f"    <td class=\"nowrap\">{e.at.strftime('%Y-%m-%d %H:%M:%S')}</td>\n"
            f'    <td><code class="hash-text">{escape(e.hash[:16])}…</code></td>\n  </tr>\n')
    return Markup("".join(lines))


def figures_rows(rows: list[Any], link: Callable[[str], str] | None = None) -> Markup:
    """The rows of a summary table (``rows.Figures``): allocated, spent, balance and
    progress; with ``link``, each label links to ``link(row.code)``."""
    lines = []
    for f in rows:
        label = escape(f.label)
        if link is not None:
            label = Markup(f'<a href="{escape(link(f.code))}">{label}</a>')
        lines.append(
            f'  <tr>\n    <th scope="row">{label}</th>\n'
            f'    <td class="num">{f.funds}</td><td class="num">{f.allocated_wan}</td>\n'
            f'    <td class="num">{f.spent_wan}</td><td class="num">{f.balance_wan}</td>\n'
            f'    <td class="nowrap">{f.progress_html}</td>\n  </tr>\n')
    return Markup("".join(lines))


def fund_rows(funds: list[Any]) -> Markup:
    """The rows of the list of allocations (``rows.FundRow``)."""
    return Markup("".join(
        f'    <tr>\n      <td><a href="{f.url}">{escape(f.name)}</a></td>\n'
        f"      <td>{escape(f.document_number)}</td><td>{escape(f.region_name)}</td>\n"
        f'      <td class="num">{f.amount_text}</td>\n'
        f'      <td class="nowrap">{f.progress_html}</td>\n'
        f'      <td class="nowrap">{f.issued_on.isoformat()}</td>\n    </tr>\n'
        for f in funds))
