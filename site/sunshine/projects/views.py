"""Public pages of 项目公开: list with a map, one project with its timeline and QR code, CSV,
API."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import segno
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from markupsafe import Markup, escape

from sunshine import pagecache
from sunshine.extensions import db
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.pagecache.versions import Scope
from sunshine.projects import projectpage, queries
from sunshine.projects.models import ALL_STAGES, CATEGORIES, STAGES, Project
from sunshine.records import charts
from sunshine.records.export import remembered_csv
from sunshine.records.listing import region_arg, region_trail, year_arg
from sunshine.records.money import fen_text, money_text, percent
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.web import page_arg, per_page_arg

bp = Blueprint("projects", __name__, url_prefix="/projects")
api_bp = Blueprint("projects_api", __name__, url_prefix="/api/v1")

FIELD_LABELS = {"name": "项目名称", "category": "类别", "region_code": "地区代码", "year": "年度",
                "budget": "预算", "implementing_unit": "实施单位", "responsible_role": "责任人职务",
                "summary": "建设内容", "targets": "绩效目标", "mechanism": "带贫减贫机制",
                "beneficiary_households": "受益户数", "beneficiary_people": "受益人数",
                "beneficiary_poor_households": "受益贫困户数", "approved_on": "立项批复日期",
                "planned_start": "计划开工", "planned_end": "计划完工", "actual_start": "实际开工",
                "actual_end": "实际完工", "stage": "阶段", "stage_reason": "终止原因",
                "state": "状态"}


def filters_from_request() -> queries.ProjectFilters:
    category = request.args.get("category")
    stage = request.args.get("stage")
    return queries.ProjectFilters(region=region_arg(), year=year_arg(),
                                  category=category if category in CATEGORIES else None,
                                  stage=stage if stage in ALL_STAGES else None)


#: The query arguments of the list page.
INDEX_ARGS = ("region", "year", "category", "stage", "after", "before", "page")


@bp.get("/")
def index() -> Response:
    """项目公开: figures, a map of county centres, and the projects, with filters."""
    region = region_arg()
    code = region.code if region else None
    # Money and projects show on each other's lists: both features' changes count.
    return pagecache.cached(_index_page,
                            ("funds", code), ("projects", code), args=INDEX_ARGS)


def _index_page() -> str:
    filters = filters_from_request()
    province = current_app.config["PROVINCE_CODE"]
    shown, ancestors, children = region_trail(filters.region)
    # The figures, the sums for the map and the page of the list, remembered until the data
    # change. One query reads the child regions' projects and the counties with theirs.
    key = (filters.year, filters.category, filters.stage, shown.code)
    at = memo.versions(_scopes(filters.region))
    figures, stages = memo.remember("projects-stages", key, at,
                                    lambda: queries.by_stage(filters, province))
    counts, counties = memo.remember(
        "projects-regions", key, at,
        lambda: queries.by_region(filters, shown.code, shown.level <= 2))
    after, before, number = request.args.get("after"), request.args.get("before"), page_arg()
    page = memo.remember("projects-page", (*key, after, before, number), at,
                         lambda: queries.list_projects(filters, after, before, number,
                                                       current_app.config["PAGE_SIZE"],
                                                       province, total=figures.projects))
    project_map = Markup("")
    if counties:
        project_map = charts.county_map(
            [{"name": c.name, "lon": c.longitude, "lat": c.latitude,
              "value": counts.get(c.code, 0)} for c in counties],
            f"{shown.name}各县扶贫项目分布（圆点越大项目越多）", "project-map")
    from sunshine.clock import today

    body = render_template("projects/_index_body.html", filters=filters, shown=shown,
                           ancestors=ancestors, children=children, figures=figures,
                           stages=stages, page=page, rows=list_rows(page.items), counts=counts,
                           project_map=project_map,
                           categories=CATEGORIES, all_stages=ALL_STAGES,
                           years=list(range(today().year, 2013, -1)))
    title = "项目公开" + (f" · {shown.name}" if filters.region else "")
    return render_template("records/_page.html", title=title, body=Markup(body))


def _scopes(region: Region | None) -> tuple[Scope, ...]:
    """What the list's figures are read from: the region's money and projects (as its kept
    page), and the region tree (the names of the regions on the map)."""
    code = region.code if region else None
    return (("funds", code), ("projects", code), regions.TREE)


def list_rows(projects: list[queries.ProjectRow]) -> Markup:
    """The rows of the list's table, written in Python: through a Jinja loop they cost the page
    more than its queries."""
    return Markup("".join(
        f'    <tr>\n      <td><a href="{p.url}">{escape(p.name)}</a></td>\n'
        f"      <td>{escape(p.category)}</td><td>{escape(p.region_name)}</td><td>{p.year}</td>\n"
        f"      <td>{p.stage_badge}</td>\n"
        f'      <td class="num">{p.budget_text}</td>'
        f'<td class="num">{p.beneficiary_households}</td>\n    </tr>\n' for p in projects))


@functools.lru_cache(maxsize=2048)
def qr_code(url: str, scale: int, border: int, svgclass: str = "segno", omitsize: bool = False,
            title: str | None = None) -> str:
    """An SVG QR code of ``url`` (segno's inline SVG options): computed once per address and
    size, encoding one costs more than the rest of a project's page."""
    return segno.make(url, error="m").svg_inline(scale=scale, border=border, svgclass=svgclass,
                                                 omitsize=omitsize, title=title)


def qr_svg(project: Any, size_class: str = "qr") -> Markup:
    """A QR code of the project's public address, for the sign (公示牌) at the site."""
    url = request.url_root.rstrip("/") + project.url
    return Markup(qr_code(url, 4, 2, size_class, omitsize=True, title=f"二维码：{url}"))


@bp.get("/<int:project_id>")
def detail(project_id: int) -> Response:
    """One project: stages and timeline, budget against spending, beneficiaries, funding
    sources, a QR code for the sign, and its public history; kept until money or a project of
    its region (or above or below it) changes."""
    found = projectpage.shown(project_id)
    if found is None:
        abort(404)
    region = found.project.region_code
    return pagecache.cached(lambda: _detail(found), ("funds", region), ("projects", region))


def _detail(found: projectpage.Shown) -> str:
    project = found.project
    return render_template("projects/detail.html", project=project, ancestors=found.ancestors,
                           updates=found.updates, sources=found.sources,
                           spending=found.spending, stages=STAGES,
                           progress=percent(project.spent, project.budget),
                           history=found.history, labels=FIELD_LABELS, qr=qr_svg(project))


@bp.get("/photos/<name>")
@keep(("projects", None))
def photo(name: str) -> Response:
    """A progress photo of a published project (the name is the SHA-256 of its bytes)."""
    import re

    from sqlalchemy import select

    from sunshine.projects.models import ProjectUpdate
    from sunshine.projects.services import PHOTOS
    from sunshine.records.models import State
    from sunshine.uploads import CONTENT_TYPES

    match = re.fullmatch(r"[0-9a-f]{64}\.(jpg|png|webp)", name)
    if match is None:
        abort(404)
    shown = db.session.scalar(select(ProjectUpdate.id).join(Project).where(
        ProjectUpdate.photo == name, ProjectUpdate.state == State.PUBLISHED.value,
        Project.state == State.PUBLISHED.value).limit(1))
    if shown is None:
        abort(404)
    return PHOTOS.send(name, CONTENT_TYPES[match[1]], public=True, max_age=86400)


@bp.get("/<int:project_id>/qr.svg")
@keep(("projects", None))
def qr(project_id: int) -> Response:
    """The QR code alone, to print on the project sign."""
    project = queries.get_public(project_id)
    if project is None:
        abort(404)
    svg = qr_code(request.url_root.rstrip("/") + project.url, 10, 4)
    body = '<?xml version="1.0" encoding="utf-8"?>\n' + svg.replace(
        "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return Response(body, mimetype="image/svg+xml")


HEADER = ["编号", "项目名称", "类别", "阶段", "年度", "地区代码", "地区", "预算（元）",
          "已到位资金（元）", "已支出（元）", "实施单位", "责任人职务", "受益户数", "受益人数",
          "受益贫困户数", "立项批复日期", "计划开工", "计划完工", "实际开工", "实际完工",
          "带贫减贫机制", "版本", "网址"]


@bp.get("/export.csv")
@keep(("projects", None), ("funds", None))
def export() -> Response:
    """The list as CSV with the page's filters: written once, then remembered until a
    project, money (a project's funded and spent) or the region names change."""
    filters = filters_from_request()
    root = request.url_root.rstrip("/")

    def rows() -> Iterator[list[Any]]:
        # By position: a row's attributes by name cost more than the rest of the line.
        for row in queries.iter_projects(filters):
            yield [*row[:7], fen_text(row[7]), fen_text(row[8]), fen_text(row[9]), *row[10:15],
                   *(d.isoformat() if d else "" for d in row[15:20]), row[20], row[21],
                   f"{root}/projects/{row[0]}"]

    return remembered_csv("projects", HEADER, rows,
                          ("projects", root, *sorted(filters.args().items())),
                          _scopes(filters.region))


# --- JSON API ------------------------------------------------------------------------------------


def project_item(project: Project | queries.ProjectRow | SimpleNamespace) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {"id": project.id, "name": project.name, "category": project.category,
            "stage": project.stage, "stage_reason": project.stage_reason or None,
            "year": project.year,
            "region": {"code": project.region_code, "name": project.region_name},
            "budget": money_text(project.budget), "funded": money_text(project.funded),
            "spent": money_text(project.spent), "implementing_unit": project.implementing_unit,
            "responsible_role": project.responsible_role, "summary": project.summary,
            "targets": project.targets, "mechanism": project.mechanism,
            "beneficiaries": {"households": project.beneficiary_households,
                              "people": project.beneficiary_people,
                              "poor_households": project.beneficiary_poor_households},
            "approved_on": iso(project.approved_on), "planned_start": iso(project.planned_start),
            "planned_end": iso(project.planned_end), "actual_start": iso(project.actual_start),
            "actual_end": iso(project.actual_end), "state": project.state,
            "version": project.version, "url": request.url_root.rstrip("/") + project.url}


@api_bp.get("/projects")
@keep(("projects", None), ("funds", None))
def api_projects() -> Response:
    """Published projects with the list page's filters."""
    filters = filters_from_request()
    per_page, number, root = per_page_arg(50), page_arg(), request.url_root
    # A page of items remembered until the data change (its links hold the site's address).
    key = (*sorted(filters.args().items()), number, per_page, root)
    items, shown, total = memo.remember("projects-api", key, memo.versions(_scopes(filters.region)),
                                 lambda: _api_page(filters, number, per_page), size=64)
    return jsonify(items=items, page=shown, per_page=per_page, total=total)


def _api_page(filters: queries.ProjectFilters, number: int, per_page: int
              ) -> tuple[list[dict[str, Any]], int, int]:
    page = queries.list_projects(filters, None, None, number, per_page,
                                 current_app.config["PROVINCE_CODE"])
    return [project_item(p) for p in page.items], page.number, page.total


@api_bp.get("/projects/<int:project_id>")
@keep(("projects", None), ("funds", None))
def api_project(project_id: int) -> Response:
    found = projectpage.shown(project_id)
    if found is None:
        abort(404)
    item = project_item(found.project)
    item["updates"] = [{"on": u.on.isoformat(), "stage": u.stage, "text": u.text}
                       for u in found.updates]
    item["sources"] = [{"fund_id": fund.id, "fund": fund.name,
                        "document_number": fund.document_number,
                        "amount": money_text(line.amount), "spent": money_text(line.spent)}
                       for line, fund in found.sources]
    item["spending"] = [{"id": s.id, "fund_id": s.fund_id, "amount": money_text(s.amount),
                         "paid_on": s.paid_on.isoformat(), "payee": s.payee,
                         "purpose": s.purpose} for s in found.spending]
    item["history"] = [{"seq": v.seq, "version": v.version, "action": v.action,
                        "reason": v.reason, "at": v.at, "hash": v.hash,
                        "changes": [{"field": k, "from": a, "to": b} for k, a, b in v.changes]}
                       for v in found.history]
    return jsonify(item)


def sitemap_entries() -> list[tuple[str, Any]]:
    from sqlalchemy import select

    from sunshine.records.models import State

    rows = db.session.execute(select(Project.id, Project.updated_at).where(
        Project.state == State.PUBLISHED.value).order_by(Project.id))
    return [("/projects/", None), *((f"/projects/{pid}", updated) for pid, updated in rows)]
