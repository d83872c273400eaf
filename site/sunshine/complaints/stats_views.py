"""办理情况: how cases are handled, as a page, CSV and JSON (figures as disclosure control
decided them, the same in all three)."""

from __future__ import annotations

from collections.abc import Hashable

from flask import Response, abort, current_app, jsonify, render_template, request

from sunshine import clock, pagecache
from sunshine.complaints import stats
from sunshine.complaints.counts import months_of
from sunshine.complaints.views import api_bp, bp
from sunshine.database import utcnow
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.records.export import csv_text
from sunshine.records.listing import region_arg
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.web import int_arg, page_arg, per_page_arg


def _region() -> Region:
    """The region asked for, the province when none is; 404 for a code of no region."""
    if not request.args.get("region"):
        return regions.get_region(current_app.config["PROVINCE_CODE"])
    return region_arg() or abort(404)


def _report(region: Region | None = None, at: Hashable | None = None) -> stats.Report:
    this_year = clock.this_year()
    year = int_arg("year", this_year, 2000, this_year)
    return stats.report_for(region or _region(), year, int(current_app.config["STATS_MIN_CELL"]),
                            at)


@bp.get("/stats")
def stats_page() -> Response:
    """办理情况: counts by month, kind, category and region; on time, days, satisfaction. Kept
    until a case anywhere changes: which figures are hidden is decided for the whole
    province at once."""
    region = _region()
    return pagecache.cached(lambda: _stats_page(region), ("complaints", None),
                            args=("region", "year"))


def _stats_page(region: Region) -> str:
    at = stats.version()
    report = _report(region, at)
    years = sorted(set(stats.years_with_cases(at)) | {clock.this_year()}, reverse=True)
    return render_template("complaints/stats.html", report=report, years=years,
                           ancestors=regions.ancestors_of(report.region),
                           measures=stats.MEASURE_LABELS)


@bp.get("/stats/export.csv")
@keep(("complaints", None))
def stats_csv() -> Response:
    """The statistics page as CSV (UTF-8 with BOM for Excel), same filters."""
    at = stats.version()  # before any case is read
    report = _report(at=at)
    # Remembered as long as the report it is written from (same data, months and deadline).
    key = (report.region.code, report.year, report.k, months_of(report.year, utcnow()),
           report.until)
    body: bytes = memo.remember("complaint-stats-csv", key, at, lambda: _csv(report),
                                until=lambda _: report.until, size=32)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; "
        f"filename=complaints-stats-{report.region.code}-{report.year}.csv"})


def _csv(report: stats.Report) -> bytes:
    rows = ([item["region"]["code"], item["region"]["name"], item["period"],
             stats.MEASURE_LABELS[item["measure"]], item["kind"] or "", item["category"] or "",
             item["text"]]
            for item in stats.items(report, with_text=True))
    header = ["地区代码", "地区", "时期", "指标", "类型", "问题类别", "数值"]
    return csv_text(header, rows).encode("utf-8")


@api_bp.get("/stats")
@keep(("complaints", None))
def api_stats() -> Response:
    """The same numbers as JSON: suppressed values are null with ``"suppressed": true``."""
    report = _report()
    all_items = stats.items(report)
    per_page = per_page_arg(50, 500)
    page = page_arg()
    chunk = all_items[(page - 1) * per_page: page * per_page]
    return jsonify(items=chunk, page=page, per_page=per_page, total=len(all_items),
                   region={"code": report.region.code, "name": report.region.name},
                   year=report.year, min_cell=report.k)
