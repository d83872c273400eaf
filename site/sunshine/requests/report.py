"""The annual report (政府信息公开工作年度报告) of one office and year, computed from live data:
proactive disclosure counts, the requests table (received, carried over, answered by outcome
and basis, carried to next year; by applicant type) and the administrative reviews and
lawsuits that staff enter. Each cell keeps the ids of the records it counts, so that the page
can link every number to what is behind it.

"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select

from sunshine.clock import day_start
from sunshine.extensions import db
from sunshine.pagecache import memo
from sunshine.pagecache.versions import Scope
from sunshine.requests import proactive
from sunshine.requests.models import (
    APPLICANT_TYPE_LABELS,
    BASES,
    Appeal,
    AppealKind,
    AppealResult,
    InfoRequest,
    Office,
    Outcome,
)

#: The rows of the requests table, as the standard form numbers them.
ROWS: list[tuple[str, str]] = [
    ("new", "一、本年新收政府信息公开申请数量"),
    ("carried_in", "二、上年结转政府信息公开申请数量"),
    ("disclosed", "三、本年度办理结果 （一）予以公开"),
    ("partial", "（二）部分公开（区分处理的，只计这一情形）"),
    ("withheld_secret", "（三）不予公开 1. 属于国家秘密"),
    ("withheld_law", "2. 其他法律行政法规禁止公开"),
    ("withheld_safety", "3. 危及“三安全一稳定”"),
    ("withheld_third_party", "4. 保护第三方合法权益"),
    ("withheld_internal", "5. 属于三类内部事务信息"),
    ("withheld_process", "6. 属于四类过程性信息"),
    ("withheld_enforcement", "7. 属于行政执法案卷"),
    ("withheld_inquiry", "8. 属于行政查询事项"),
    ("unavailable_not_held", "（四）无法提供 1. 本机关不掌握相关政府信息"),
    ("unavailable_not_ready", "2. 没有现成信息需要另行制作"),
    ("unavailable_unclear", "3. 补正后申请内容仍不明确"),
    ("not_handled_petition", "（五）不予处理 1. 信访举报投诉类申请"),
    ("not_handled_repeat", "2. 重复申请"),
    ("not_handled_publication", "3. 要求提供公开出版物"),
    ("not_handled_mass", "4. 无正当理由大量反复申请"),
    ("not_handled_confirm", "5. 要求行政机关确认或重新出具已获取信息"),
    ("other_no_amend", "（六）其他处理 1. 申请人无正当理由逾期不补正，不再处理"),
    ("answered", "（七）总计"),
    ("carried_out", "四、结转下年度继续办理"),
]
ROW_LABELS = dict(ROWS)
COLUMNS: list[tuple[str, str]] = [*((t.value, label) for t, label in
                                    APPLICANT_TYPE_LABELS.items()), ("total", "总计")]
COLUMN_LABELS = dict(COLUMNS)


def result_row(info: Any) -> str:
    """The row of the table that counts an answered request (an ``InfoRequest`` or a row of
    ``office_requests``)."""
    if info.outcome is Outcome.PARTIAL:
        return "partial"
    basis = BASES.get(info.outcome, {}).get(info.basis) if info.outcome else None
    return basis.row if basis else "other_no_amend"


@dataclass
class RequestTable:
    cells: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, row: str, info: Any) -> None:
        self.cells[(row, info.applicant_type.value)].append(info.id)
        self.cells[(row, "total")].append(info.id)

    def ids(self, row: str, column: str) -> list[int]:
        return self.cells.get((row, column), [])

    def count(self, row: str, column: str) -> int:
        return len(self.ids(row, column))


#: A proactive table's row in a cell's address: ``proactive_<source>``.
PROACTIVE_ROW = "proactive_"


@dataclass
class Proactive:
    """What the office published on this site in the year, with the page of its records."""

    label: str
    count: int
    url: str


@dataclass
class AnnualReport:
    office: Office
    year: int
    proactive: list[Proactive]
    requests: RequestTable
    appeals: dict[tuple[str, str], int]


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))


@functools.cache
def _office_requests() -> Select[Any]:
    """Built once (building it cost more than running it); the office and year as parameters."""
    return select(InfoRequest.id, InfoRequest.applicant_type, InfoRequest.received_at,
                  InfoRequest.answered_at, InfoRequest.outcome, InfoRequest.basis).where(
        InfoRequest.office_region_code == bindparam("code"),
        InfoRequest.office_kind == bindparam("kind"), InfoRequest.held.is_(False),
        InfoRequest.received_at < bindparam("end"),
        or_(InfoRequest.answered_at.is_(None), InfoRequest.answered_at >= bindparam("start"))
    ).order_by(InfoRequest.id)


def office_requests(office: Office, year: int) -> list[Any]:
    """The office's requests that matter for ``year``: received by its end and not answered
    before it began; the columns the table counts by."""
    start, end = _year_bounds(year)
    return list(db.session.execute(_office_requests(), {
        "code": office.region.code, "kind": office.kind, "start": start, "end": end}))


def request_table(office: Office, year: int) -> RequestTable:
    start, end = _year_bounds(year)
    table = RequestTable()
    for info in office_requests(office, year):
        table.add("new" if info.received_at >= start else "carried_in", info)
        if info.answered_at is not None and info.answered_at < end:
            table.add(result_row(info), info)
            table.add("answered", info)
        else:
            table.add("carried_out", info)
    return table


def proactive_counts(office: Office, year: int) -> list[Proactive]:
    """What the office published on this site in the year (see ``proactive``), each count
    linked to the page of its records."""
    base = f"/requests/report/{office.key}/{year}/{PROACTIVE_ROW}"
    return [Proactive(proactive.SOURCES[key], count, f"{base}{key}/total")
            for key, count in proactive.counts(office, year).items()]


def appeal_counts(office: Office, year: int) -> dict[tuple[str, str], int]:
    rows = db.session.execute(select(Appeal.kind, Appeal.result, func.count()).where(
        Appeal.office_region_code == office.region.code, Appeal.office_kind == office.kind,
        Appeal.year == year).group_by(Appeal.kind, Appeal.result))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for kind, result, count in rows:
        counts[(kind.value, result.value)] += count
        counts[(kind.value, "total")] += count
    return counts


APPEAL_COLUMNS = [(k, r) for k in AppealKind for r in [*AppealResult, "total"]]


def annual_report(office: Office, year: int) -> AnnualReport:
    """The report's figures (four queries), remembered per worker until the office's requests
    or what it published change."""
    proactive_part, requests, appeals = memo.remember(
        "annual-report", (office.key, year), memo.versions(scopes(office)),
        lambda: (proactive_counts(office, year), request_table(office, year),
                 appeal_counts(office, year)))
    return AnnualReport(office, year, proactive_part, requests, appeals)


def published_scopes(office: Office) -> list[Scope]:
    """What the office published (the report's proactive counts)."""
    code = office.region.code
    return [(feature, code) for feature in ("funds", "projects", "notices", "content")]


def scopes(office: Office) -> list[Scope]:
    """Everything the office's report counts."""
    return [("requests", office.region.code), *published_scopes(office)]


def csv_rows(report: AnnualReport) -> list[list[object]]:
    """The report as one sheet: section, row, then a count per column."""
    rows: list[list[object]] = [["主动公开", p.label, p.count] for p in report.proactive]
    rows += [["依申请公开", label, *(report.requests.count(key, col) for col, _ in COLUMNS)]
             for key, label in ROWS]
    rows += [["行政复议和行政诉讼", f"{AppealKind(k).label} · "
              f"{AppealResult(r).label if r != 'total' else '总计'}",
              report.appeals.get((k.value, str(r)), 0)] for k, r in APPEAL_COLUMNS]
    return rows


def years_with_requests() -> list[int]:
    first = db.session.scalar(select(func.min(InfoRequest.received_at)))
    last = db.session.scalar(select(func.max(InfoRequest.received_at)))
    if first is None or last is None:
        return []
    return list(range(last.year, first.year - 1, -1))


