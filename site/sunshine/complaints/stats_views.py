"""办理情况: how cases are handled, as a page, CSV and JSON (small counts suppressed)."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, jsonify, render_template, request
from flask.blueprints import BlueprintSetupState

from sunshine import clock
from sunshine.api.openapi import add_paths
from sunshine.complaints import stats
from sunshine.complaints.openapi import PATHS
from sunshine.complaints.views import api_bp, bp
from sunshine.regions import services as regions
from sunshine.web import int_arg, page_arg


def _report() -> stats.Report:
    code = request.args.get("region", "") or current_app.config["PROVINCE_CODE"]
    try:
        region = regions.get_region(code)
    except regions.RegionNotFound:
        abort(404)
    this_year = clock.this_year()
    year = int_arg("year", this_year, 2000, this_year)
    return stats.build_report(region, year, int(current_app.config["STATS_MIN_CELL"]))


@bp.get("/stats")
def stats_page() -> str:
    """办理情况: counts by month, kind, category and region; on time, days, satisfaction."""
    report = _report()
    this_year = clock.this_year()
    years = sorted(set(stats.years_with_cases()) | {this_year}, reverse=True)
    return render_template("complaints/stats.html", report=report, years=years,
                           ancestors=regions.ancestors_of(report.region),
                           measures=stats.MEASURE_LABELS)


def _csv_cell(value: object) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@bp.get("/stats/export.csv")
def stats_csv() -> Response:
    """The statistics page as CSV (UTF-8 with BOM for Excel), same filters."""
    report = _report()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["地区代码", "地区", "时期", "指标", "类型", "问题类别", "数值"])
    for item in stats.items(report):
        value = f"<{report.k}" if item["suppressed"] else item["value"]
        writer.writerow([_csv_cell(v) for v in (
            item["region"]["code"], item["region"]["name"], item["period"],
            stats.MEASURE_LABELS[item["measure"]], item["kind"] or "", item["category"] or "",
            value)])
    name = f"complaints-stats-{report.region.code}-{report.year}.csv"
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@api_bp.get("/stats")
def api_stats() -> Response:
    """The same numbers as JSON: suppressed values are null with ``"suppressed": true``."""
    report = _report()
    all_items = stats.items(report)
    per_page = int_arg("per_page", 50, 1, 500)
    page = page_arg()
    chunk = all_items[(page - 1) * per_page: page * per_page]
    return jsonify(items=chunk, page=page, per_page=per_page, total=len(all_items),
                   region={"code": report.region.code, "name": report.region.name},
                   year=report.year, min_cell=report.k)



@api_bp.record_once
def _describe(state: BlueprintSetupState) -> None:
    add_paths(state.app, PATHS)
