"""Reading published projects for the public pages, the API, the CSV export and the map."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from flask import Flask, current_app
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, func, or_, select

from sunshine.extensions import db
from sunshine.projects.models import Project, ProjectTotal, ProjectUpdate
from sunshine.records import export
from sunshine.records.models import State
from sunshine.records.money import CENT, in_fen
from sunshine.records.paging import Keyset, KeysetPage, keyset, row_batches
from sunshine.records.rollup import bound_region_condition, region_condition, region_reach
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.regions.services import Place
from sunshine.web import is_number

PUBLISHED = State.PUBLISHED.value


@dataclass
class ProjectFilters:
    region: Region | None = None
    year: int | None = None
    category: str | None = None
    stage: str | None = None

    def args(self, without: str = "") -> dict[str, Any]:
        found = {"region": self.region.code if self.region else None, "year": self.year,
                 "category": self.category, "stage": self.stage}
        return {k: v for k, v in found.items() if v and k != without}


def conditions(filters: ProjectFilters) -> list[ColumnElement[bool]]:
    found = [Project.state == PUBLISHED, *region_condition(Project, filters.region)]
    if filters.year:
        found.append(Project.year == filters.year)
    if filters.category:
        found.append(Project.category == filters.category)
    if filters.stage:
        found.append(Project.stage == filters.stage)
    return found


def _cursor(project: ProjectRow) -> str:
    return f"{project.year}_{project.id}"


def _parse(text: str) -> tuple[int, int]:
    year, _, number = text.partition("_")
    return int(year), int(number)


def _total_params(filters: ProjectFilters, region: str) -> tuple[tuple[bool, ...], dict[str, Any]]:
    """Which filters are set (the key of the statements below) and the parameters of all."""
    params: dict[str, Any] = {"code": region, "year": filters.year,
                              "category": filters.category, "stage": filters.stage}
    return (bool(filters.year), bool(filters.category), bool(filters.stage)), params


def _total_conditions(flags: tuple[bool, ...]) -> list[ColumnElement[bool]]:
    """The filters set in ``flags`` on ``project_total``, their values as parameters."""
    year, category, stage = flags
    found = []
    if year:
        found.append(ProjectTotal.year == bindparam("year"))
    if category:
        found.append(ProjectTotal.category == bindparam("category"))
    if stage:
        found.append(ProjectTotal.stage == bindparam("stage"))
    return found


_SUMS = (func.sum(ProjectTotal.projects), func.sum(ProjectTotal.budget),
         func.sum(ProjectTotal.funded), func.sum(ProjectTotal.spent),
         func.sum(ProjectTotal.households), func.sum(ProjectTotal.people),
         func.sum(ProjectTotal.poor_households))


@functools.cache
def _figures_statement(flags: tuple[bool, ...], by_stage: bool) -> Select[Any]:
    """The sums of one region's totals, by stage or not: built once for each combination of
    filters, as building a statement costs more than running it."""
    where = [ProjectTotal.region_code == bindparam("code"), *_total_conditions(flags)]
    if by_stage:
        return select(ProjectTotal.stage, *_SUMS).where(*where).group_by(ProjectTotal.stage)
    return select(*_SUMS).where(*where)


_PLACE_COLUMNS = (Region.code, Region.name, Region.level, Region.parent_code, Region.longitude,
                  Region.latitude)  # a ``Place``


@functools.cache
def _by_region_statement(flags: tuple[bool, ...], counties: bool) -> Select[Any]:
    """The child regions (and, with ``counties``, every county below) as places, in code
    order, each with its projects: a sum over its few total rows."""
    wanted = Region.parent_code == bindparam("code")
    if counties:
        wanted = or_(wanted, and_(Region.level == 3,
                                  Region.code.between(bindparam("lo"), bindparam("hi"))))
    projects = select(func.sum(ProjectTotal.projects)).where(
        ProjectTotal.region_code == Region.code, *_total_conditions(flags)).scalar_subquery()
    return select(*_PLACE_COLUMNS, projects).where(wanted).order_by(Region.code)


@dataclass
class ProjectFigures:
    projects: int = 0
    budget: Decimal = Decimal(0)
    funded: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)
    households: int = 0
    people: int = 0
    poor_households: int = 0


def figures(filters: ProjectFilters, province: str) -> ProjectFigures:
    flags, params = _total_params(filters, filters.region.code if filters.region else province)
    row = db.session.execute(_figures_statement(flags, False), params).one()
    return ProjectFigures(int(row[0] or 0), row[1] or Decimal(0), row[2] or Decimal(0),
                          row[3] or Decimal(0), int(row[4] or 0), int(row[5] or 0),
                          int(row[6] or 0))


def by_stage(filters: ProjectFilters, province: str) -> tuple[ProjectFigures, dict[str, int]]:
    """The figures (as ``figures``) and the projects of each stage, from one query."""
    total = ProjectFigures()
    stages: dict[str, int] = {}
    flags, params = _total_params(filters, filters.region.code if filters.region else province)
    for row in db.session.execute(_figures_statement(flags, True), params):
        stages[row[0]] = int(row[1] or 0)
        total.projects += int(row[1] or 0)
        total.budget += row[2] or 0
        total.funded += row[3] or 0
        total.spent += row[4] or 0
        total.households += int(row[5] or 0)
        total.people += int(row[6] or 0)
        total.poor_households += int(row[7] or 0)
    return total, stages


def by_region(filters: ProjectFilters, region: str,
              counties: bool) -> tuple[dict[str, int], list[Place]]:
    """Projects in each child region of ``region`` and, with ``counties``, in each county
    within it, by region code; and those counties (in code order, for the map). One query:
    the counties come with their sums."""
    flags, params = _total_params(filters, region)
    if counties:
        params["lo"], params["hi"] = codes.subtree_bounds(region)
    counts: dict[str, int] = {}
    places: list[Place] = []
    for *place, projects in db.session.execute(_by_region_statement(flags, counties), params):
        counts[place[0]] = int(projects or 0)
        if counties and place[2] == 3:
            places.append(Place(*place))
    return counts, places


class ProjectRow(NamedTuple):
    """A published project as the list page and the API show it: a plain row, with the
    region's name, and ``Project``'s properties."""

    id: int
    name: str
    category: str
    stage: str
    stage_reason: str
    year: int
    region_code: str
    region_name: str
    budget: Decimal
    funded: Decimal
    spent: Decimal
    implementing_unit: str
    responsible_role: str
    summary: str
    targets: str
    mechanism: str
    beneficiary_households: int
    beneficiary_people: int
    beneficiary_poor_households: int
    approved_on: date | None
    planned_start: date | None
    planned_end: date | None
    actual_start: date | None
    actual_end: date | None
    state: str
    version: int

    @property
    def url(self) -> str:
        return f"/projects/{self.id}"

    # The list's cells, formatted in Python (a filter chain and a macro call per row cost the
    # page more than its queries): ``budget|money`` without the unit, and ``status_badge``.
    @property
    def budget_text(self) -> str:
        return f"{Decimal(self.budget).quantize(CENT):,}"

    @property
    def stage_badge(self) -> Markup:
        kind = "danger" if self.stage == "终止" else "ok" if self.stage == "验收" else "info"
        return Markup(f'<span class="badge badge-{kind}">{escape(self.stage)}</span>')


_ROW_COLUMNS = (Project.id, Project.name, Project.category, Project.stage, Project.stage_reason,
                Project.year, Project.region_code, Region.name, Project.budget, Project.funded,
                Project.spent, Project.implementing_unit, Project.responsible_role,
                Project.summary, Project.targets, Project.mechanism,
                Project.beneficiary_households, Project.beneficiary_people,
                Project.beneficiary_poor_households, Project.approved_on, Project.planned_start,
                Project.planned_end, Project.actual_start, Project.actual_end, Project.state,
                Project.version)


def list_projects(filters: ProjectFilters, after: str | None, before: str | None, number: int,
                  per_page: int, province: str, total: int | None = None) -> KeysetPage:
    """A page of projects (``ProjectRow``); ``total`` is their number when the caller has it
    already (the page's figures), else it is counted."""
    flags, params = _total_params(filters, province)
    reach, region = region_reach(filters.region)
    return keyset(_list_statements(flags, reach), Project.year, Project.id, _cursor, _parse,
                  after, before, number, per_page,
                  figures(filters, province).projects if total is None else total,
                  row=ProjectRow, params={**params, **region})


@functools.cache
def _list_statements(flags: tuple[bool, ...], reach: int) -> Keyset:
    """The list's pages with the filters ``flags`` and ``reach`` say are set (``conditions``,
    their values as parameters): built once for each combination."""
    year, category, stage = flags
    where = [Project.state == PUBLISHED, *bound_region_condition(Project, reach)]
    if year:
        where.append(Project.year == bindparam("year"))
    if category:
        where.append(Project.category == bindparam("category"))
    if stage:
        where.append(Project.stage == bindparam("stage"))
    query = select(*_ROW_COLUMNS).join(Region, Region.code == Project.region_code).where(*where)
    return Keyset(query, Project.year, Project.id)


@functools.cache
def _project_statement() -> Select[Any]:
    """The project ``:id``: built once (``session.get`` builds its query on every call);
    like it, it does not flush the session."""
    return select(Project).where(Project.id == bindparam("id")).execution_options(autoflush=False)


def get_public(project_id: int) -> Project | None:
    project = db.session.execute(_project_statement(), {"id": project_id}).scalar()
    if project is None or project.state == State.DRAFT.value:
        return None
    return project


def complaint_label(target_id: str) -> str | None:
    """A complaint's target, named as on the project pages; None unless the page is public."""
    project = get_public(int(target_id)) if is_number(target_id) and len(target_id) <= 9 \
        else None
    return f"扶贫项目：{project.name}" if project else None


@functools.cache
def _updates_statement() -> Select[Any]:
    """The published updates of the project ``:project``, newest first: built once."""
    return select(ProjectUpdate).where(
        ProjectUpdate.project_id == bindparam("project"), ProjectUpdate.state == PUBLISHED) \
        .order_by(ProjectUpdate.on.desc(), ProjectUpdate.id.desc())


def updates_of(project: Project) -> list[ProjectUpdate]:
    return list(db.session.execute(_updates_statement(), {"project": project.id}).scalars())


@dataclass
class Funding:
    """Where a project's money came from (each line with its allocation) and where it went.
    The feature that keeps the money tells it through ``provide_funding``: projects know no
    funds, and without it a project shows no sources and no spending."""

    sources: list[tuple[Any, Any]] = field(default_factory=list)  # (line, allocation)
    spending: list[Any] = field(default_factory=list)  # newest first


def provide_funding(app: Flask, funding_of: Callable[[Project], Funding]) -> None:
    app.extensions["projects.funding"] = funding_of


def funding_of(project: Project) -> Funding:
    source = current_app.extensions.get("projects.funding")
    return source(project) if source else Funding()


def iter_projects(filters: ProjectFilters, batch: int = export.BATCH) -> Iterator[Row[Any]]:
    """Every matching project as a row of the CSV's columns in their order (amounts in fen,
    with the region's name), newest first, a keyset batch at a time."""
    query = select(Project.id, Project.name, Project.category, Project.stage, Project.year,
                   Project.region_code, Region.name.label("region_name"),
                   in_fen(Project.budget), in_fen(Project.funded), in_fen(Project.spent),
                   Project.implementing_unit, Project.responsible_role,
                   Project.beneficiary_households, Project.beneficiary_people,
                   Project.beneficiary_poor_households, Project.approved_on,
                   Project.planned_start, Project.planned_end, Project.actual_start,
                   Project.actual_end, Project.mechanism, Project.version,
                   ).join(Region, Region.code == Project.region_code)
    yield from row_batches(query.where(*conditions(filters)), Project.year, Project.id, batch)
