"""Public statistics: /stats/ and /stats/<code>, their CSV, and /api/v1/stats/<code>.

Pages are kept by the page cache until the rollups of their region are built again.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from sunshine import pagecache
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.records.export import csv_text
from sunshine.stats import charts, disclosure, services, tables, vocab
from sunshine.stats.layout import EFFECT_FOLLOW_UP

bp = Blueprint("stats", __name__, url_prefix="/stats")
api_bp = Blueprint("stats_api", __name__, url_prefix="/api/v1/stats")

SORTS = {key for key, _ in tables.CHILD_COLUMNS}
#: A region with more counties than this (a province) shows their map and table on a page of
#: their own, ``?part=counties``, linked from its page: a hundred counties would otherwise
#: make it the heaviest page of the site.
INLINE_COUNTIES = 30
#: Region pages and their tables remembered per worker (a county's are small, a province's
#: hold every county's figures).
MEMO_SIZE = 128


def region_page(code: str) -> tuple[services.RegionPage, tuple[int, ...]]:
    """``services.region_page``, remembered per worker until the rollups of the region (or
    below it) are built again, with the version it was read at (for ``tables_of``). A province
    or city page unpacks the figures of every county under it.

    :raise services.StatsNotFound: for an unknown code or a region without rollups.
    """
    at = memo.versions([("stats", code)])
    return memo.remember("stats-page", (code, services.min_cell()), at,
                         lambda: services.region_page(code), size=MEMO_SIZE), at


def tables_of(page: services.RegionPage, at: tuple[int, ...], sort: str | None = None,
              descending: bool = True, counties: bool = True) -> list[services.Table]:
    """``tables.all_tables`` of a page from ``region_page`` (read at version ``at``),
    remembered with it."""
    key = (page.node.code, page.k, sort, descending, counties)
    return memo.remember("stats-tables", key, at,
                         lambda: tables.all_tables(page, sort, descending, counties=counties),
                         size=MEMO_SIZE)


def _page(code: str) -> tuple[services.RegionPage, tuple[int, ...]]:
    try:
        return region_page(code)
    except services.StatsNotFound:
        abort(404)


def _sort_args() -> tuple[str | None, bool]:
    sort = request.args.get("sort")
    sort = sort if sort in SORTS else None
    return sort, request.args.get("order") != "asc"


def _cached_html(code: str) -> Response:
    """Kept until the rollups of this region (or below it) are built again."""
    return pagecache.cached(lambda: _render(code), ("stats", code),
                            args=("sort", "order", "part"))


def _county_map(page: services.RegionPage) -> Markup | None:
    return charts.county_map("chart-map", page.counties,
                             f"{page.node.name}各县（市、区）建档立卡户数分布图")


def _render(code: str) -> str:
    page, at = _page(code)
    if request.args.get("part") == "counties":
        return _render_counties(page)
    sort, descending = _sort_args()
    # Many counties: their map (when it can be drawn) and table are on a page of their own.
    counties_apart = len(page.counties) > INLINE_COUNTIES and any(
        c.longitude is not None and c.latitude is not None for c in page.counties)
    by_id = {t.id: t for t in tables_of(page, at, sort, descending,
                                        counties=not counties_apart)}
    key = (page.node.code, page.k, sort, descending, counties_apart)
    chart_svgs = memo.remember("stats-charts", key, at,
                               lambda: _charts(page, by_id, counties_apart), size=MEMO_SIZE)
    return render_template(
        "stats/detail.html", page=page, node=page.node, tables=by_id, charts=chart_svgs,
        headline=tables.headline(page), projection=tables.projection(page),
        counties_apart=counties_apart,
        sort=sort, descending=descending, years=vocab.YEARS, last_year=vocab.LAST_YEAR,
        follow_up=EFFECT_FOLLOW_UP, small=f"<{page.k}", k=page.k)


def _charts(page: services.RegionPage, by_id: dict[str, services.Table],
            counties_apart: bool) -> dict[str, Markup | None]:
    """The page's charts, drawn from its remembered tables (and remembered with them)."""
    chart_svgs: dict[str, Markup | None] = {
        "trend": charts.grouped_bars("chart-trend", by_id["trend"], ["reg", "poor"],
                                     f"{page.node.name}历年在册户数和贫困户数"),
        "causes": charts.horizontal_bars("chart-causes", by_id["causes"], "reg",
                                         f"{page.node.name}按主要致贫原因的建档立卡户数"),
        "measures": charts.horizontal_bars("chart-measures", by_id["measures"], "helped",
                                           f"{page.node.name}各项帮扶措施覆盖户数"),
        "sizes": charts.horizontal_bars("chart-sizes", by_id["sizes"], "reg",
                                        f"{page.node.name}按家庭人口的户数"),
    }
    if page.counties and not counties_apart:
        chart_svgs["map"] = _county_map(page)
    return chart_svgs


def _render_counties(page: services.RegionPage) -> str:
    """The county map of a region and the table it draws, on their own page (?part=counties)."""
    svg = _county_map(page) if page.counties else None
    if svg is None:
        abort(404)
    return render_template(
        "stats/counties.html", page=page, node=page.node, svg=svg, part_title="各县分布",
        table=tables.county_table(page), years=vocab.YEARS, last_year=vocab.LAST_YEAR,
        small=f"<{page.k}", k=page.k)


@bp.get("/")
def index() -> Response:
    """扶贫数据: the province."""
    code = current_app.config["PROVINCE_CODE"]
    return _cached_html(code)


@bp.get("/<code>")
def detail(code: str) -> BaseResponse:
    """扶贫数据 of any region, province down to village."""
    if len(code) != 12 and code.isdigit() and len(code) in (2, 4, 6, 9):
        return redirect(url_for("stats.detail", code=code.ljust(12, "0")), 301)
    return _cached_html(code)


# --- CSV -----------------------------------------------------------------------------------


CSV_HEADER = ["区划代码", "区划名称", "表", "行", "列", "数值"]


def csv_rows(page: services.RegionPage, all_tables: list[services.Table]) -> list[list[str]]:
    rows: list[list[str]] = []
    node = page.node
    head = tables.headline_table(page)
    for table in [head, *all_tables]:
        columns = table.columns[1:]
        for row in table.rows:
            for (_, label), cell in zip(columns, row.cells, strict=True):
                rows.append([node.code, node.name, table.title, row.label, label, cell.csv])
    return rows


def _csv_response(code: str) -> Response:
    page, at = _page(code)
    sort, descending = _sort_args()
    body: bytes = memo.remember(
        "stats-csv", (page.node.code, page.k, sort, descending), at,
        lambda: csv_text(CSV_HEADER, csv_rows(page, tables_of(page, at, sort, descending)))
        .encode("utf-8"), size=32)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=stats-{page.node.code}.csv"})


@bp.get("/export.csv")
@keep(("stats", None))
def export_province() -> Response:
    return _csv_response(current_app.config["PROVINCE_CODE"])


@bp.get("/<code>/export.csv")
@keep(("stats", None))
def export(code: str) -> Response:
    """Every table of the page, one figure a row; hidden figures as on the page."""
    return _csv_response(code)


# --- JSON ----------------------------------------------------------------------------------


def _table_json(table: services.Table) -> dict[str, object]:
    keys = [k for k, _ in table.columns[1:]]
    return {
        "id": table.id, "title": table.title,
        "columns": [{"key": k, "label": label} for k, label in table.columns],
        "rows": [{"key": row.key, "label": row.label,
                  **({"url": row.url} if row.url else {}),
                  "values": {k: cell.json() for k, cell in zip(keys, row.cells, strict=True)}}
                 for row in table.rows],
        **({"note": table.note} if table.note else {}),
    }


def stats_json(page: services.RegionPage) -> dict[str, object]:
    node = page.node
    projection = tables.projection(page)
    return {
        "region": {"code": node.code, "name": node.name, "level": node.level,
                   "level_name": node.level_name},
        "ancestors": [a.to_dict() for a in page.ancestors],
        "year": vocab.LAST_YEAR,
        "min_cell": page.k,
        "synthetic": page.synthetic,
        "headline": {key: cell.json() for key, _, cell in tables.headline(page)},
        "tables": [_table_json(t) for t in tables.all_tables(page)],
        "projection": None if projection is None else {
            "label": "预测", "method": projection.method,
            "points": [{"year": y, **f.json()} for y, f in projection.points]},
    }


@api_bp.get("/<code>")
@keep(("stats", None))
def api_detail(code: str) -> tuple[Response, int] | Response:
    """A region's public figures; hidden ones are null with "suppressed": true."""
    try:
        page, _ = region_page(code)
    except services.StatsNotFound:
        return jsonify(error=f"区划 {code[:20]} 不存在或尚无统计数据"), 404
    return jsonify(stats_json(page))


def home_figures() -> dict[str, object]:
    """The province's headline figures for the home page (nothing before the first build)."""
    page = services.headline_for(current_app.config["PROVINCE_CODE"])
    if page is None:
        return {"stats_home": None}
    return {"stats_home": page, "stats_items": tables.headline(page)[:5],
            "stats_last_year": vocab.LAST_YEAR}


def regions_renamed(region_codes: list[str]) -> None:
    """Pages (kept or remembered) that show these regions' names are made again: their own,
    those above them (their children's names) and below them (breadcrumbs)."""
    pagecache.changed("stats", *region_codes)


def sitemap_entries() -> list[tuple[str, datetime | None]]:
    """The province's statistics, for /sitemap.xml. Crawlers reach every city, county, town
    and village from there, a link a level; listing them here would cost the sitemap one more
    query."""
    return [("/stats/", None)]


__all__ = ["api_bp", "bp", "disclosure"]
