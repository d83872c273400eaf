"""/complaints/stats: how cases are handled, per region and month, counts only.

Every count comes from ``counts``, where the household statistics' disclosure control decides
for the whole province which figures may be published: a count of fewer than
``STATS_MIN_CELL`` cases is shown as "<10", and enough other figures are hidden ("×", or "—"
under a region whose same figure is hidden) that no hidden count follows from totals, sums of
siblings or another page. The rates (on time, days to reply, satisfaction, resolved as the
reporters judged it when asked after the answer) are shown only when they rest on at least
``STATS_MIN_CELL`` cases.
"""

from __future__ import annotations

import statistics
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import case, extract, func, select

from sunshine.clock import CHINA, day_start
from sunshine.complaints.counts import KINDS, OWN, Counts, count_year, months_of, year_window
from sunshine.complaints.models import (
    CATEGORIES,
    VERDICT_PREFIX,
    VERDICTS,
    Case,
    CaseEvent,
    EventType,
    Moderation,
    Rating,
)
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.pagecache import memo
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.stats.disclosure import Figure

__all__ = ["KINDS", "MEASURE_LABELS", "Rate", "Report", "Table", "build_report", "items",
           "reply_rate", "report_for", "version", "years_with_cases"]

GOOD_RATINGS = (Rating.SATISFIED, Rating.FAIRLY)


@dataclass
class Rate:
    """A rate or a median: shown only when it rests on enough cases."""

    value: float | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def text(self) -> str:
        return "—" if self.value is None else f"{self.value}"

    plain = text


# --- gathering -----------------------------------------------------------------------------


@dataclass
class Group:
    """Cases of one month or one region: what the rates are computed from."""

    due: int = 0
    on_time: int = 0
    days: list[float] = field(default_factory=list)
    rated: int = 0
    good: int = 0
    judged: int = 0  # answered the follow-up question
    resolved: int = 0  # ... with 解决了

    def add(self, row: Any, now: datetime) -> None:
        answered = row.first_replied_at
        if answered is not None or row.deadline < now:
            self.due += 1
            if answered is not None and answered <= row.deadline:
                self.on_time += 1
        if answered is not None:
            self.days.append((answered - row.submitted_at).total_seconds() / 86400)
        if row.rating is not None:
            self.rated += 1
            self.good += row.rating in GOOD_RATINGS
        if row.verdict is not None:
            self.judged += 1
            self.resolved += row.verdict == VERDICT_PREFIX + VERDICTS["resolved"]

    def metrics(self, k: int) -> dict[str, Rate]:
        def share(part: int, whole: int) -> Rate:
            return Rate(None) if whole < k else Rate(round(100 * part / whole, 1))

        median = Rate(None) if len(self.days) < k \
            else Rate(round(statistics.median(self.days), 1))
        return {"on_time_rate": share(self.on_time, self.due), "median_days_to_reply": median,
                "satisfaction_rate": share(self.good, self.rated),
                "resolved_rate": share(self.resolved, self.judged)}


@dataclass
class Table:
    """A count table with its totals, each figure as disclosure control decided it."""

    title: str
    row_labels: list[str]
    row_keys: list[str]  # a child region's code (its page), or "" for no link
    col_labels: list[str]
    cells: list[list[Figure]]
    row_totals: list[Figure]
    col_totals: list[Figure]
    grand: Figure
    metrics: list[dict[str, Rate]]  # per row
    total_metrics: dict[str, Rate]


@dataclass
class Report:
    region: Region
    year: int
    k: int
    by_month_kind: Table
    by_month_category: Table
    by_child: Table | None
    children: list[tuple[str, str]]  # (code, name) of each row of ``by_child``
    #: When the first unanswered case falls due: its on-time rate changes then.
    until: datetime | None = None


def years_with_cases(at: Hashable | None = None) -> list[int]:
    """The years of the cases, newest first (remembered at ``version()`` ``at``)."""

    def compute() -> list[int]:
        rows = db.session.execute(select(extract("year", Case.submitted_at)).distinct()).scalars()
        return sorted({int(y) for y in rows if y is not None}, reverse=True)

    if at is None:
        return compute()
    return memo.remember("complaint-years", current_app.config["PROVINCE_CODE"], at, compute)


# --- remembered ----------------------------------------------------------------------------

#: What every figure depends on: which ones are hidden is decided for the whole province.
SCOPES = [("complaints", None)]


def version() -> Hashable:
    """The version of the cases' data; read it before the cases themselves."""
    return memo.versions(SCOPES)


def province_counts(year: int, k: int, now: datetime, at: Hashable) -> Counts:
    """The province's counts and disclosure decisions of a year, remembered until a case
    changes (``at`` is ``version()``) or a new month starts."""
    province = current_app.config["PROVINCE_CODE"]
    return memo.remember("complaint-counts", (province, year, k, months_of(year, now)), at,
                         lambda: count_year(year, k, province, now), size=8)


def report_for(region: Region, year: int, k: int, at: Hashable | None = None) -> Report:
    """``build_report`` now, remembered until a case changes anywhere (``at`` is
    ``version()``) or the first unanswered case of the region falls due (which changes its
    on-time rate)."""
    now = utcnow()
    at = version() if at is None else at
    key = (current_app.config["PROVINCE_CODE"], region.code, year, k, months_of(year, now))
    report = memo.remember(
        "complaint-reports", key, at,
        lambda: build_report(region, year, k, now, province_counts(year, k, now, at)),
        until=lambda report: report.until, now=now, size=256)
    return replace(report, region=region)  # the request's own, not a detached one


def build_report(region: Region, year: int, k: int, now: datetime | None = None,
                 counts: Counts | None = None) -> Report:
    """Counts by month × kind, month × category and child region × kind for one year, with
    on-time rate, median days to the first answer and satisfaction; no case text at all.

    :param counts: the province's counts of the year, when the caller has them already.
    """
    now = now or utcnow()
    counts = counts or province_counts(year, k, now, version())
    code = region.code
    months = list(range(1, counts.months + 1))
    month_groups = {m: Group() for m in months}
    kids = [] if region.level >= 5 else [
        (kid.code, kid.name) for kid in db.session.execute(
            select(Region).where(Region.parent_code == code).order_by(Region.code)).scalars()]
    if kids:
        kids.append((code + OWN, f"{region.name}本级"))
    child_groups = {kid: Group() for kid, _ in kids}
    kid_codes = set(child_groups)
    total = Group()
    until: datetime | None = None
    for row in _cases(code, year):
        local = row.submitted_at.astimezone(CHINA)
        if local.year != year or local.month not in month_groups:
            continue
        if row.first_replied_at is None and row.deadline >= now \
                and (until is None or row.deadline < until):
            until = row.deadline
        month_groups[local.month].add(row, now)
        total.add(row, now)
        group = child_groups.get(_child_of(row.region_code, code, kid_codes))
        if group is not None:
            group.add(row, now)

    def table(title: str, keys: list[str], labels: list[str], rows: list[str],
              col_key: str, cols: list[str], cell_key: str, groups: list[Group],
              parent: str = code) -> Table:
        return Table(
            title=title, row_labels=labels, row_keys=keys, col_labels=cols,
            cells=[[_figure(counts, cell_key, row, col, code) for col in cols] for row in rows],
            row_totals=[_figure(counts, cell_key, row, None, code) for row in rows],
            col_totals=[counts.figure(parent, col_key, col) for col in cols],
            grand=counts.figure(parent, "all"),
            metrics=[g.metrics(k) for g in groups], total_metrics=total.metrics(k))

    month_rows = [str(m) for m in months]
    month_keys = [f"{year}-{m:02d}" for m in months]
    month_labels = [f"{m}月" for m in months]
    kind_values = [kind.value for kind in KINDS]
    groups = [month_groups[m] for m in months]
    by_kind = table("按月份和类型", month_keys, month_labels, month_rows, "kind", kind_values,
                    "month_kind", groups)
    by_kind.col_labels = [kind.label for kind in KINDS]
    by_category = table("按月份和问题类别", month_keys, month_labels, month_rows, "category",
                        list(CATEGORIES), "month_category", groups)
    by_child = None
    if kids:
        by_child = table(f"按下级地区（{year}年）",
                         ["" if kid.endswith(OWN) else kid for kid, _ in kids],
                         [name for _, name in kids], [kid for kid, _ in kids], "kind",
                         kind_values, "child_kind", [child_groups[kid] for kid, _ in kids])
        by_child.col_labels = [kind.label for kind in KINDS]
    return Report(region=region, year=year, k=k, by_month_kind=by_kind,
                  by_month_category=by_category, by_child=by_child, children=kids, until=until)


def remembered_reply_rate(region: Region, year: int, k: int) -> Rate:
    """``reply_rate``, remembered per worker until a case changes anywhere or the next
    unanswered case of the year in the region falls due (which makes it count)."""
    now = utcnow()
    rate, _ = memo.remember(
        "complaint-reply-rate", (region.code, year, k), version(),
        lambda: (reply_rate(region, year, k, now), _next_due(region.code, year, now)),
        until=lambda kept: kept[1], now=now, size=256)
    return rate


def _next_due(code: str, year: int, now: datetime) -> datetime | None:
    """The earliest deadline still ahead of the year's unanswered cases in ``code``'s
    subtree."""
    lo, hi = codes.subtree_bounds(code)
    start, end = day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))
    return db.session.scalar(select(func.min(Case.deadline)).where(
        Case.region_code.between(lo, hi), Case.moderation == Moderation.NONE,
        Case.submitted_at >= start, Case.submitted_at < end,
        Case.first_replied_at.is_(None), Case.deadline >= now))


def reply_rate(region: Region, year: int, k: int, now: datetime | None = None) -> Rate:
    """The on-time rate of the first answers to the year's cases in ``region``'s subtree: the
    report's total ``on_time_rate``, from one aggregate query, for pages that show only it."""
    now = now or utcnow()
    lo, hi = codes.subtree_bounds(region.code)
    start, end = day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))
    replied = Case.first_replied_at.is_not(None)
    due, on_time = db.session.execute(select(
        func.sum(case((replied | (Case.deadline < now), 1), else_=0)),
        func.sum(case((replied & (Case.first_replied_at <= Case.deadline), 1), else_=0)))
        .where(Case.region_code.between(lo, hi), Case.moderation == Moderation.NONE,
               Case.submitted_at >= start, Case.submitted_at < end)).one()
    due, on_time = int(due or 0), int(on_time or 0)
    return Rate(None) if due < k else Rate(round(100 * on_time / due, 1))


def _figure(counts: Counts, cell_key: str, row: str, col: str | None, code: str) -> Figure:
    """A table's cell (``col``) or row total (``col`` None): a child's figure, or a month's of
    the region ``code``."""
    if cell_key == "child_kind":
        return counts.figure(row, "kind", col) if col is not None else counts.figure(row, "all")
    month = int(row)
    return counts.figure(code, cell_key, month, col) if col is not None \
        else counts.figure(code, "month", month)


def _child_of(region_code: str, parent: str, kids: set[str]) -> str:
    """The row of ``by_child`` that counts a case: its child region's, else the own row."""
    if not kids:
        return ""
    level = codes.level_of(parent) + 1
    head = region_code[:codes.PREFIX_LEN[level]].ljust(12, "0")
    return head if head in kids and region_code != parent else parent + OWN


def _cases(code: str, year: int) -> list[Any]:
    lo, hi = codes.subtree_bounds(code)
    start, end = year_window(year)
    # The reporter's last answer to the follow-up question, if any.
    verdict = select(CaseEvent.text).where(
        CaseEvent.case_id == Case.id, CaseEvent.type == EventType.VERDICT) \
        .order_by(CaseEvent.id.desc()).limit(1).scalar_subquery()
    return list(db.session.execute(select(
        Case.kind, Case.category, Case.region_code, Case.submitted_at, Case.deadline,
        Case.first_replied_at, Case.rating, verdict.label("verdict")).where(
        Case.region_code.between(lo, hi), Case.moderation == Moderation.NONE,
        Case.submitted_at >= start, Case.submitted_at < end)).all())


# --- long format for CSV and JSON ----------------------------------------------------------

MEASURE_LABELS = {"received": "收到件数", "on_time_rate": "按时答复率（%）",
                  "median_days_to_reply": "答复用时中位数（天）",
                  "satisfaction_rate": "满意率（%，含基本满意）",
                  "resolved_rate": "群众认为已解决（%，回访）"}


def items(report: Report, with_text: bool = False) -> list[dict[str, Any]]:
    """One item per figure: region, period, measure, kind or category, value (None when
    hidden). A region's own cases ("本级") carry its code and the name "…本级". With
    ``with_text``, each also has the text the page shows (for the CSV)."""
    region = {"code": report.region.code, "name": report.region.name}
    out: list[dict[str, Any]] = []

    def add(reg: dict[str, str], period: str, measure: str, cell: Figure | Rate,
            kind: str | None = None, category: str | None = None) -> None:
        item = {"region": reg, "period": period, "measure": measure, "kind": kind,
                "category": category, "value": None if cell.suppressed else cell.value,
                "suppressed": cell.suppressed}
        if with_text:
            item["text"] = cell.plain
        out.append(item)

    year = str(report.year)
    for table, dimension in ((report.by_month_kind, "kind"),
                             (report.by_month_category, "category")):
        for i, period in enumerate(table.row_keys):
            for j, label in enumerate(table.col_labels):
                add(region, period, "received", table.cells[i][j],
                    **{dimension: label})
        for j, label in enumerate(table.col_labels):
            add(region, year, "received", table.col_totals[j], **{dimension: label})
    kind_table = report.by_month_kind
    for i, period in enumerate(kind_table.row_keys):
        add(region, period, "received", kind_table.row_totals[i])
        for measure, cell in kind_table.metrics[i].items():
            add(region, period, measure, cell)
    add(region, year, "received", kind_table.grand)
    for measure, cell in kind_table.total_metrics.items():
        add(region, year, measure, cell)
    if report.by_child is not None:
        table = report.by_child
        for i, (code, name) in enumerate(report.children):
            reg = {"code": code.removesuffix(OWN), "name": name}
            for j, label in enumerate(table.col_labels):
                add(reg, year, "received", table.cells[i][j], kind=label)
            add(reg, year, "received", table.row_totals[i])
            for measure, cell in table.metrics[i].items():
                add(reg, year, measure, cell)
    return out
