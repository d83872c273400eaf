"""The compliance page (each office's answers next to the funds' disclosure timeliness and the
complaints' reply timeliness) and the annual report of an office: the page (printable on A4),
its CSV, and the records behind each cell."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, url_for

from sunshine import pagecache
from sunshine.clock import this_year, today
from sunshine.complaints.stats import remembered_reply_rate
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.records.export import csv_download, csv_text
from sunshine.records.listing import region_arg
from sunshine.regions import services as regions
from sunshine.requests import cells, listing, proactive, report, services, timeliness
from sunshine.requests.models import Office, Outcome
from sunshine.requests.views import bp
from sunshine.web import whole_number

FIRST_YEAR = 2008  # the year the disclosure regulation took effect


def _year() -> int:
    return whole_number(request.args.get("year", ""), this_year(), FIRST_YEAR, this_year())


@bp.get("/compliance")
def compliance() -> Response:
    """公开合规情况: per office, requests answered and on time, by outcome, with the median
    working days; beside them the funds' disclosure timeliness and the complaints' replies."""
    return pagecache.cached(_compliance, ("requests", None), ("funds", None),
                            ("projects", None), ("complaints", None), args=("region", "year"))


def _compliance() -> str:
    shown = region_arg() or regions.get_region(current_app.config["PROVINCE_CODE"])
    year, day = _year(), today()
    k = int(current_app.config["STATS_MIN_CELL"])
    # Offices go down to towns: the region's children are rows and links down to level 4.
    children = regions.children_of(shown.code) if shown.level <= 3 else []
    total, scores = timeliness.scoreboard(shown, children, year, day)
    archive = url_for("requests.index")
    return render_template(
        "requests/compliance.html", shown=shown, children=children, year=year,
        years=list(range(this_year(), FIRST_YEAR - 1, -1))[:8],
        scores=scores, total=total, outcomes=[(o, o.value) for o in Outcome],
        score_rows=cells.score_rows(scores, archive, archive + "report/", year),
        disclosure=timeliness.disclosure(shown, day),
        complaints=remembered_reply_rate(shown, year, k), k=k)


def _office_year(office_key: str, year: int) -> Office:
    office = services.parse_office(office_key)
    if office is None or not FIRST_YEAR <= year <= this_year():
        abort(404)
    return office


@bp.get("/report/<office_key>/<int:year>")
def annual_report(office_key: str, year: int) -> Response:
    """政府信息公开工作年度报告 of one office: the standard tables, from live data."""
    office = _office_year(office_key, year)
    return pagecache.cached(lambda: _annual_report(office, year), *report.scopes(office))


def _annual_report(office: Office, year: int) -> str:
    return render_template("requests/report.html", report=report.annual_report(office, year),
                           rows=report.ROWS, columns=report.COLUMNS,
                           appeal_columns=report.APPEAL_COLUMNS)


@bp.get("/report/<office_key>/<int:year>/export.csv")
@keep(("requests", None), ("funds", None), ("projects", None), ("notices", None),
      ("content", None))
def report_export(office_key: str, year: int) -> Response:
    """The annual report as CSV."""
    office = _office_year(office_key, year)
    found = report.annual_report(office, year)
    header = ["部分", "项目", *(label for _, label in report.COLUMNS)]
    return csv_download(csv_text(header, report.csv_rows(found)),
                        f"report-{office.key}-{year}.csv")


@bp.get("/report/<office_key>/<int:year>/<row>/<column>")
def report_cell(office_key: str, year: int, row: str, column: str) -> Response:
    """The requests one cell of the annual report counts (kept like the report)."""
    office = _office_year(office_key, year)
    source = row.removeprefix(report.PROACTIVE_ROW)
    if source in proactive.SOURCES and column == "total":
        return pagecache.cached(lambda: _proactive_cell(office, year, source),
                                *report.published_scopes(office))
    if row not in report.ROW_LABELS or column not in report.COLUMN_LABELS:
        abort(404)
    return pagecache.cached(lambda: _report_cell(office, year, row, column),
                            ("requests", office.region.code))


def _proactive_cell(office: Office, year: int, source: str) -> str:
    items = proactive.records(office, year, source)
    if items is None:
        abort(404)
    return render_template("requests/report_proactive.html", office=office, year=year,
                           items=items, label=proactive.SOURCES[source])


def _report_cell(office: Office, year: int, row: str, column: str) -> str:
    at = memo.versions([("requests", office.region.code), regions.TREE])  # before any row
    items = memo.remember(
        "report-cell", (office.key, year, row, column), at,
        lambda: listing.by_ids(report.request_table(office, year).ids(row, column)), size=128)
    return render_template("requests/report_cell.html", office=office, year=year, items=items,
                           row_label=report.ROW_LABELS[row],
                           column_label=report.COLUMN_LABELS[column], today=today())
