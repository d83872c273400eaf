"""The public search page: hits, facets by type, region and year, and a page cache."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request

from sunshine import pagecache
from sunshine.regions import codes
from sunshine.regions import services as regions
from sunshine.search.index import TYPE_LABELS, index_version, search
from sunshine.web import page_arg

bp = Blueprint("search", __name__)

FIRST_YEAR = 2014  # 精准扶贫 began; nothing public is older
ARGS = ("q", "type", "region", "year", "page")


@bp.get("/search")
def index() -> Response:
    """/search?q=...&type=...&region=...&year=...; kept per index version (a rebuild or an
    update shows at once)."""
    index_dir = current_app.config["SEARCH_INDEX_DIR"]
    return pagecache.cached(lambda: _render(index_dir), args=ARGS,
                            extra=lambda: index_version(index_dir))


def _render(index_dir: str) -> str:
    q = request.args.get("q", "").strip()[:200]
    doc_type = request.args.get("type") or None
    if doc_type not in TYPE_LABELS:
        doc_type = None
    region = codes.clean(request.args.get("region"))
    years = [str(y) for y in range(datetime.now(UTC).year, FIRST_YEAR - 1, -1)]
    year = request.args.get("year") if request.args.get("year") in years else None
    try:
        place = regions.get_region(region or current_app.config["PROVINCE_CODE"])
        children = regions.children_of(place.code)
    except regions.RegionNotFound:  # a code of no region here: no region facet
        place, children = None, []
    facets = {"type": list(TYPE_LABELS), "year": years,
              "region_path": [codes.prefix(c.code) for c in children]}
    results = search(index_dir, q, doc_type, region, page_arg(), year=year, facets=facets)
    region_counts = [(c, results.facets.get("region_path", {}).get(codes.prefix(c.code), 0))
                     for c in children]
    return render_template("search/index.html", q=q, doc_type=doc_type, region=region,
                           place=place if region else None, year=year, results=results,
                           types=TYPE_LABELS, region_counts=region_counts)
