"""Reading published funds for the public pages, the API and the CSV export.

Lists are keyset-paginated over indexes that begin with their filter's equality columns
(state, city, county); summaries and totals come from the ``fund_total`` table, so no public
request sums or scans the fund or spending tables.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, case, func, select

from sunshine.extensions import db
from sunshine.funds.models import Fund, FundLine, FundTotal, Spending
from sunshine.funds.rows import Figures, FundRow, Summary
from sunshine.projects.models import Project
from sunshine.projects.queries import Funding
from sunshine.records import export
from sunshine.records.models import State
from sunshine.records.money import in_fen, percent
from sunshine.records.paging import Keyset, KeysetPage, keyset, row_batches
from sunshine.records.rollup import bound_region_condition, region_condition, region_reach
from sunshine.regions.models import Region
from sunshine.regions.province import province_code
from sunshine.regions.services import Place
from sunshine.web import is_number

PUBLISHED = State.PUBLISHED.value


@dataclass
class FundFilters:
    region: Region | None = None
    year: int | None = None
    source_level: str | None = None
    fund_type: str | None = None

    def args(self, without: str = "") -> dict[str, Any]:
        """The filters as query arguments (for links to the CSV, the API and other pages)."""
        found = {"region": self.region.code if self.region else None, "year": self.year,
                 "level": self.source_level, "type": self.fund_type}
        return {k: v for k, v in found.items() if v and k != without}


def fund_conditions(filters: FundFilters) -> list[ColumnElement[bool]]:
    conditions = [Fund.state == PUBLISHED, *region_condition(Fund, filters.region)]
    if filters.year:
        conditions.append(Fund.year == filters.year)
    if filters.source_level:
        conditions.append(Fund.source_level == filters.source_level)
    if filters.fund_type:
        conditions.append(Fund.fund_type == filters.fund_type)
    return conditions


def _fund_cursor(fund: FundRow) -> str:
    return f"{fund.issued_on.isoformat()}_{fund.id}"


def _parse_fund_cursor(text: str) -> tuple[date, int]:
    day, _, number = text.partition("_")
    return date.fromisoformat(day), int(number)


_ROW_COLUMNS = (Fund.id, Fund.year, Fund.name, Fund.document_number, Fund.issuer,
                Fund.source_level, Fund.fund_type, Fund.region_code, Region.name, Fund.amount,
                Fund.lined, Fund.spent, Fund.purpose, Fund.issued_on, Fund.published_on,
                Fund.deadline, Fund.state, Fund.version)


def list_funds(filters: FundFilters, after: str | None = None, before: str | None = None,
               number: int = 1, per_page: int = 20, total: int | None = None) -> KeysetPage:
    """A page of allocations (``FundRow``); ``total`` is their number when the caller has it
    already (the summary's), else it is counted."""
    flags, params = _total_params(filters)
    reach, region = region_reach(filters.region)
    return keyset(_list_statements(flags, reach), Fund.issued_on, Fund.id, _fund_cursor,
                  _parse_fund_cursor, after, before, number, per_page,
                  count_funds(filters) if total is None else total, row=FundRow,
                  params={**params, **region})


@functools.cache
def _list_statements(flags: tuple[bool, ...], reach: int) -> Keyset:
    """The list's pages with the filters ``flags`` and ``reach`` say are set
    (``fund_conditions``, their values as parameters): built once for each combination."""
    year, level, kind = flags
    where = [Fund.state == PUBLISHED, *bound_region_condition(Fund, reach)]
    if year:
        where.append(Fund.year == bindparam("year"))
    if level:
        where.append(Fund.source_level == bindparam("level"))
    if kind:
        where.append(Fund.fund_type == bindparam("type"))
    query = select(*_ROW_COLUMNS).join(Region, Region.code == Fund.region_code).where(*where)
    return Keyset(query, Fund.issued_on, Fund.id)


# --- summaries from fund_total -----------------------------------------------------------------


def _total_params(filters: FundFilters) -> tuple[tuple[bool, ...], dict[str, Any]]:
    """Which filters are set (the key of the statements below) and the parameters of all."""
    return (bool(filters.year), bool(filters.source_level), bool(filters.fund_type)), {
        "code": _region_code(filters), "year": filters.year, "level": filters.source_level,
        "type": filters.fund_type}


def _total_conditions(flags: tuple[bool, ...]) -> list[ColumnElement[bool]]:
    """The filters set in ``flags`` on ``fund_total``, their values as parameters."""
    year, level, kind = flags
    conditions = []
    if year:
        conditions.append(FundTotal.year == bindparam("year"))
    if level:
        conditions.append(FundTotal.source_level == bindparam("level"))
    if kind:
        conditions.append(FundTotal.fund_type == bindparam("type"))
    return conditions


@functools.cache
def _total_statements(flags: tuple[bool, ...]) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The number of allocations, the region's total rows and its children's sums, with the
    filters ``flags`` says are set: built once, as building a statement costs more than
    running it."""
    where = _total_conditions(flags)
    count = select(func.coalesce(func.sum(FundTotal.funds), 0)).where(
        FundTotal.region_code == bindparam("code"), *where)
    rows = select(FundTotal.year, FundTotal.source_level, FundTotal.fund_type,
                  FundTotal.allocated, FundTotal.spent, FundTotal.funds).where(
        FundTotal.region_code == bindparam("code"), *where)
    children = select(FundTotal.region_code, func.sum(FundTotal.allocated),
                      func.sum(FundTotal.spent), func.sum(FundTotal.funds)).where(
        FundTotal.region_code.in_(bindparam("children", expanding=True)), *where) \
        .group_by(FundTotal.region_code).order_by(FundTotal.region_code)
    return count, rows, children


def _region_code(filters: FundFilters) -> str:
    return filters.region.code if filters.region else province_code()


def count_funds(filters: FundFilters) -> int:
    flags, params = _total_params(filters)
    return int(db.session.scalar(_total_statements(flags)[0], params) or 0)


def summary(filters: FundFilters, children: list[Place]) -> Summary:
    """Figures of the filtered region, by year, level, type, and for each child region."""
    flags, params = _total_params(filters)
    _, rows, by_child = _total_statements(flags)
    total = Figures("合计")
    # The region's few total rows (year x level x type), read once and summed three ways.
    years: dict[int, Figures] = {}
    levels: dict[str, Figures] = {}
    types: dict[str, Figures] = {}
    for row in db.session.execute(rows, params):
        for figures in (years.setdefault(row.year, Figures(f"{row.year}年")),
                        levels.setdefault(row.source_level, Figures(row.source_level)),
                        types.setdefault(row.fund_type, Figures(row.fund_type)), total):
            figures.allocated += row.allocated
            figures.spent += row.spent
            figures.funds += row.funds
    by_year = [years[k] for k in sorted(years)]
    by_level = [levels[k] for k in sorted(levels)]
    by_type = [types[k] for k in sorted(types)]
    names = {r.code: r.name for r in children}
    by_region = [Figures(names[row[0]], row[1], row[2], row[3], code=row[0])
                 for row in db.session.execute(by_child, {**params, "children": list(names)})] \
        if names else []
    by_year.sort(key=lambda f: f.label, reverse=True)
    return Summary(total, by_year, by_level, by_type, by_region)


# --- one allocation ----------------------------------------------------------------------------


@functools.cache
def _fund_statement() -> Select[Any]:
    """The allocation ``:id``: built once (``session.get`` builds its query on every call);
    like it, it does not flush the session."""
    return select(Fund).where(Fund.id == bindparam("id")).execution_options(autoflush=False)


def get_public(fund_id: int) -> Fund | None:
    """A published or withdrawn allocation (a withdrawn one stays readable, marked so)."""
    fund = db.session.execute(_fund_statement(), {"id": fund_id}).scalar()
    if fund is None or fund.state == State.DRAFT.value:
        return None
    return fund


def complaint_label(target_id: str) -> str | None:
    """A complaint's target, named as on the fund pages; None unless the page is public."""
    fund = get_public(int(target_id)) if is_number(target_id) and len(target_id) <= 9 else None
    return f"扶贫资金：{fund.name}" if fund else None


def lines_of(fund: Fund) -> list[FundLine]:
    return list(db.session.execute(select(FundLine).where(
        FundLine.fund_id == fund.id, FundLine.state == PUBLISHED).order_by(FundLine.id)).scalars())


@functools.cache
def _one_fund_statements() -> tuple[Select[Any], Select[Any], Select[Any]]:
    """An allocation's lines with their projects, its newest payments and their number, for
    the allocation ``:fund`` (and at most ``:limit`` payments): built once, as building a
    statement costs more than running it."""
    lines = select(FundLine, Project).outerjoin(Project, Project.id == FundLine.project_id) \
        .where(FundLine.fund_id == bindparam("fund"), FundLine.state == PUBLISHED) \
        .order_by(FundLine.id)
    mine = (Spending.fund_id == bindparam("fund"), Spending.state == PUBLISHED)
    spending = select(Spending).where(*mine).order_by(Spending.paid_on.desc(),
                                                      Spending.id.desc()) \
        .limit(bindparam("limit"))
    return lines, spending, select(func.count()).select_from(Spending).where(*mine)


def lines_and_projects(fund: Fund) -> tuple[list[FundLine], dict[int, Project]]:
    """``lines_of`` and the projects they fund (by id), from one query."""
    rows = db.session.execute(_one_fund_statements()[0], {"fund": fund.id}).tuples().all()
    return [line for line, _ in rows], {p.id: p for _, p in rows if p is not None}


#: Payments an allocation's page and API answer list (the newest); the CSV has them all.
SPENDING_SHOWN = 100


def spending_of(fund: Fund, limit: int = SPENDING_SHOWN) -> list[Spending]:
    return list(db.session.execute(_one_fund_statements()[1],
                                   {"fund": fund.id, "limit": limit}).scalars())


def spending_count(fund: Fund, shown: list[Spending] | None = None,
                   limit: int = SPENDING_SHOWN) -> int:
    """The allocation's published payments; counted only when ``shown`` (its
    ``spending_of``) may not be all of them."""
    if shown is not None and len(shown) < limit:
        return len(shown)
    return int(db.session.scalar(_one_fund_statements()[2], {"fund": fund.id}) or 0)


# --- exports -----------------------------------------------------------------------------------


def iter_funds(filters: FundFilters, batch: int = export.BATCH) -> Iterator[Row[Any]]:
    """Every matching allocation as a row of the export's columns (amounts in fen, with the
    region's name), newest first, a keyset batch at a time."""
    query = select(Fund.id, Fund.year, Fund.name, Fund.document_number, Fund.issuer,
                   Fund.source_level, Fund.fund_type, Fund.region_code,
                   Region.name.label("region_name"), in_fen(Fund.amount), in_fen(Fund.lined),
                   in_fen(Fund.spent), Fund.issued_on, Fund.published_on, Fund.purpose,
                   Fund.version).join(Region, Region.code == Fund.region_code)
    yield from row_batches(query.where(*fund_conditions(filters)), Fund.issued_on, Fund.id,
                           batch)


def iter_spending(filters: FundFilters, fund_id: int | None = None,
                  batch: int = export.BATCH) -> Iterator[Row[Any]]:
    """Spending of the matching region (or of one allocation) as rows of the export's columns
    (amounts in fen), newest first, in batches."""
    conditions = [Spending.state == PUBLISHED]
    if fund_id is not None:
        conditions.append(Spending.fund_id == fund_id)
    else:
        conditions += region_condition(Spending, filters.region)
        if filters.year:
            conditions.append(Spending.paid_on.between(date(filters.year, 1, 1),
                                                       date(filters.year, 12, 31)))
    query = select(Spending.id, Spending.fund_id, Spending.project_id, Spending.paid_on,
                   in_fen(Spending.amount), Spending.payee, Spending.purpose, Spending.voucher,
                   Spending.region_code, Spending.version)
    yield from row_batches(query.where(*conditions), Spending.paid_on, Spending.id, batch)


# --- 公开及时率 -----------------------------------------------------------------------------------


@dataclass
class Timeliness:
    """Records due for disclosure (published, or past their deadline), and those on time."""

    due: int = 0
    on_time: int = 0
    overdue_drafts: int = 0

    @property
    def rate(self) -> Decimal | None:
        return percent(Decimal(self.on_time), Decimal(self.due))


def timeliness(model: Any, today: date, county: str | None = None) -> dict[str, Timeliness]:
    """Per county: on-time publications over everything that was due (drafts past their
    deadline count as late). ``model`` is Fund or Project (both have the same columns)."""
    on_time = func.sum(case((model.published_on <= model.deadline, 1), else_=0))
    due = (model.state != State.DRAFT.value) | (model.deadline < today)
    late_drafts = func.sum(case((model.state == State.DRAFT.value, 1), else_=0))
    query = select(model.county_code, func.count(), on_time, late_drafts).where(
        model.deadline.is_not(None), model.county_code.is_not(None), due)
    if county:
        query = query.where(model.county_code == county)
    return {row[0]: Timeliness(int(row[1]), int(row[2] or 0), int(row[3] or 0))
            for row in db.session.execute(query.group_by(model.county_code))}


def project_funding(project: Project, limit: int = 100) -> Funding:
    """A project's 资金来源 (the published lines to it, each with its allocation) and its
    newest ``limit`` published payments, for the project's page."""
    lines, payments = _funding_statements()
    params = {"project": project.id, "limit": limit}
    sources = db.session.execute(lines, params).tuples()
    spending = db.session.execute(payments, params).scalars()
    return Funding(list(sources), list(spending))


@functools.cache
def _funding_statements() -> tuple[Select[Any], Select[Any]]:
    """``project_funding``'s two statements, for the project ``:project``, built once."""
    lines = select(FundLine, Fund).join(Fund, Fund.id == FundLine.fund_id).where(
        FundLine.project_id == bindparam("project"), FundLine.state == PUBLISHED) \
        .order_by(FundLine.id)
    spending = select(Spending).where(
        Spending.project_id == bindparam("project"), Spending.state == PUBLISHED) \
        .order_by(Spending.paid_on.desc(), Spending.id.desc()).limit(bindparam("limit"))
    return lines, spending
