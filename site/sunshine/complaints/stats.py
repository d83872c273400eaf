"""/complaints/stats: how cases are handled, per region and month, counts only.

Small counts are suppressed (fewer than ``STATS_MIN_CELL``, shown as "<10"), with enough
complementary cells that no suppressed count follows from a row or column total. This is a
local helper until the statistics feature provides the shared disclosure module.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import extract, select

from sunshine.clock import CHINA
from sunshine.complaints.models import CATEGORIES, Case, Kind, Moderation, Rating
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region

KINDS = [Kind.COMPLAINT, Kind.REPORT, Kind.SUGGESTION, Kind.RATING, Kind.OBJECTION]
GOOD_RATINGS = (Rating.SATISFIED, Rating.FAIRLY)


# --- suppression ---------------------------------------------------------------------------


@dataclass
class Cell:
    """A published number, or a suppressed one (``value`` is then None outside this module)."""

    value: float | int | None
    suppressed: bool = False

    def shown(self, k: int) -> str:
        if self.suppressed:
            return f"<{k}"
        if self.value is None:
            return "—"
        return f"{self.value}"


def suppress_table(grid: list[list[int]], k: int) -> tuple[list[list[bool]], list[bool],
                                                             list[bool], bool]:
    """Which cells, row totals, column totals and grand total to hide.

    Primary: every count below ``k``. Complementary: while some line (a row or a column with
    its total, or the row or column totals with the grand total) has exactly one hidden item,
    which the others would give away, hide the smallest other part of that line too.
    """
    rows, cols = len(grid), (len(grid[0]) if grid else 0)
    value: dict[tuple[Any, ...], int] = {}
    for i in range(rows):
        for j in range(cols):
            value[("cell", i, j)] = grid[i][j]
        value[("row", i)] = sum(grid[i])
    for j in range(cols):
        value[("col", j)] = sum(grid[i][j] for i in range(rows))
    value[("all",)] = sum(value[("row", i)] for i in range(rows))
    hidden = {key: v < k for key, v in value.items()}
    lines: list[list[tuple[Any, ...]]] = [[("cell", i, j) for j in range(cols)] + [("row", i)]
                                         for i in range(rows)]
    lines += [[("cell", i, j) for i in range(rows)] + [("col", j)] for j in range(cols)]
    lines.append([("row", i) for i in range(rows)] + [("all",)])
    lines.append([("col", j) for j in range(cols)] + [("all",)])
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(hidden[key] for key in line) != 1:
                continue
            shown = [key for key in line if not hidden[key]]
            parts = [key for key in shown if key != line[-1]] or shown
            if parts:
                hidden[min(parts, key=lambda key: value[key])] = True
                changed = True
    return ([[hidden[("cell", i, j)] for j in range(cols)] for i in range(rows)],
            [hidden[("row", i)] for i in range(rows)], [hidden[("col", j)] for j in range(cols)],
            hidden[("all",)])


# --- gathering -----------------------------------------------------------------------------


@dataclass
class Group:
    """Cases of one month or one region: what the metrics are computed from."""

    by_kind: Counter[Kind] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    due: int = 0
    on_time: int = 0
    days: list[float] = field(default_factory=list)
    rated: int = 0
    good: int = 0

    def add(self, row: Any, now: datetime) -> None:
        self.by_kind[row.kind] += 1
        self.by_category[row.category] += 1
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

    def metrics(self, k: int) -> dict[str, Cell]:
        def share(part: int, whole: int) -> Cell:
            if whole < k:
                return Cell(None, suppressed=True)
            return Cell(round(100 * part / whole, 1))

        median = Cell(None, suppressed=True) if len(self.days) < k \
            else Cell(round(statistics.median(self.days), 1))
        return {"on_time_rate": share(self.on_time, self.due), "median_days_to_reply": median,
                "satisfaction_rate": share(self.good, self.rated)}


@dataclass
class Table:
    """A count table with margins, suppression applied."""

    title: str
    row_labels: list[str]
    row_keys: list[str]
    col_labels: list[str]
    cells: list[list[Cell]]
    row_totals: list[Cell]
    col_totals: list[Cell]
    grand: Cell
    metrics: list[dict[str, Cell]]  # per row
    total_metrics: dict[str, Cell]


def _table(title: str, row_keys: list[str], row_labels: list[str], col_labels: list[str],
           grid: list[list[int]], groups: list[Group], total: Group, k: int) -> Table:
    hidden, row_hidden, col_hidden, grand_hidden = suppress_table(grid, k)
    cells = [[Cell(v, h) for v, h in zip(r, hr, strict=True)] for r, hr in zip(grid, hidden,
                                                                                strict=True)]
    return Table(
        title=title, row_labels=row_labels, row_keys=row_keys, col_labels=col_labels,
        cells=cells,
        row_totals=[Cell(sum(r), h) for r, h in zip(grid, row_hidden, strict=True)],
        col_totals=[Cell(sum(grid[i][j] for i in range(len(grid))), h)
                    for j, h in enumerate(col_hidden)],
        grand=Cell(sum(map(sum, grid)), grand_hidden),
        metrics=[g.metrics(k) for g in groups], total_metrics=total.metrics(k))


@dataclass
class Report:
    region: Region
    year: int
    k: int
    by_month_kind: Table
    by_month_category: Table
    by_child: Table | None
    children: list[Region]


def years_with_cases() -> list[int]:
    rows = db.session.execute(select(extract("year", Case.submitted_at)).distinct()).scalars()
    return sorted({int(y) for y in rows if y is not None}, reverse=True)


def build_report(region: Region, year: int, k: int, now: datetime | None = None) -> Report:
    """Counts by month × kind, month × category and child region × kind for one year, with
    on-time rate, median days to the first answer and satisfaction; no case text at all."""
    now = now or utcnow()
    lo, hi = codes.subtree_bounds(region.code)
    # A day's margin on each side of the year; months are then read in China time.
    start = datetime(year - 1, 12, 31, tzinfo=CHINA)
    end = datetime(year + 1, 1, 2, tzinfo=CHINA)
    rows = db.session.execute(select(
        Case.kind, Case.category, Case.region_code, Case.submitted_at, Case.deadline,
        Case.first_replied_at, Case.rating).where(
        Case.region_code.between(lo, hi), Case.moderation == Moderation.NONE,
        Case.submitted_at >= start, Case.submitted_at < end)).all()
    last_month = 12 if year < now.astimezone(CHINA).year else now.astimezone(CHINA).month
    months = list(range(1, last_month + 1))
    month_groups = {m: Group() for m in months}
    children = [] if region.level >= 5 else list(db.session.execute(
        select(Region).where(Region.parent_code == region.code).order_by(Region.code)).scalars())
    child_prefix_len = codes.PREFIX_LEN.get(region.level + 1, 12)
    child_groups = {c.code[:child_prefix_len]: Group() for c in children}
    total = Group()
    for row in rows:
        local = row.submitted_at.astimezone(CHINA)
        if local.year != year or local.month not in month_groups:
            continue
        month_groups[local.month].add(row, now)
        total.add(row, now)
        child = child_groups.get(row.region_code[:child_prefix_len])
        if child is not None:
            child.add(row, now)

    month_keys = [f"{year}-{m:02d}" for m in months]
    month_labels = [f"{m}月" for m in months]
    groups = [month_groups[m] for m in months]
    kind_labels = [kind.label for kind in KINDS]
    by_kind = _table("按月份和类型", month_keys, month_labels, kind_labels,
                     [[g.by_kind[kind] for kind in KINDS] for g in groups], groups, total, k)
    by_category = _table("按月份和问题类别", month_keys, month_labels, CATEGORIES,
                         [[g.by_category[c] for c in CATEGORIES] for g in groups], groups,
                         total, k)
    by_child = None
    if children:
        child_list = [child_groups[c.code[:child_prefix_len]] for c in children]
        by_child = _table(f"按下级地区（{year}年）", [c.code for c in children],
                          [c.name for c in children], kind_labels,
                          [[g.by_kind[kind] for kind in KINDS] for g in child_list],
                          child_list, total, k)
    return Report(region=region, year=year, k=k, by_month_kind=by_kind,
                  by_month_category=by_category, by_child=by_child, children=children)


# --- long format for CSV and JSON ----------------------------------------------------------

MEASURE_LABELS = {"received": "收到件数", "on_time_rate": "按时答复率（%）",
                  "median_days_to_reply": "答复用时中位数（天）",
                  "satisfaction_rate": "满意率（%，含基本满意）"}


def items(report: Report) -> list[dict[str, Any]]:
    """One item per published number: region, period, measure, kind or category, value."""
    region = {"code": report.region.code, "name": report.region.name}
    out: list[dict[str, Any]] = []

    def add(reg: dict[str, str], period: str, measure: str, cell: Cell,
            kind: str | None = None, category: str | None = None) -> None:
        out.append({"region": reg, "period": period, "measure": measure, "kind": kind,
                    "category": category,
                    "value": None if cell.suppressed else cell.value,
                    "suppressed": cell.suppressed})

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
        for i, child in enumerate(report.children):
            reg = {"code": child.code, "name": child.name}
            for j, label in enumerate(table.col_labels):
                add(reg, year, "received", table.cells[i][j], kind=label)
            add(reg, year, "received", table.row_totals[i])
            for measure, cell in table.metrics[i].items():
                add(reg, year, measure, cell)
    return out
