"""The public search page (hits, a place named in the query first, facets by type, region and
year, a page cache) and the suggestions the search box asks for while someone types."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from sunshine import pagecache
from sunshine.regions import codes
from sunshine.regions import services as regions
from sunshine.search import synonyms
from sunshine.search.index import TYPE_LABELS, index_version, search
from sunshine.search.suggest import best_bets, suggest
from sunshine.web import page_arg

bp = Blueprint("search", __name__)

FIRST_YEAR = 2014  # 精准扶贫 began; nothing public is older
ARGS = ("q", "type", "region", "year", "page")


@bp.get("/search")
def index() -> Response:
    """/search?q=...&type=...&region=...&year=...; kept per index version (a rebuild or an
    update shows at once)."""
    index_dir = current_app.config["SEARCH_INDEX_DIR"]
    return pagecache.cached(lambda: _render(index_dir), ("search", None), args=ARGS,
                            extra=lambda: index_version(index_dir))


@bp.get("/search/suggest")
def suggestions() -> Response:
    """/search/suggest?q=...: regions and titles for the search box, as JSON."""
    q = request.args.get("q", "").strip()[:50]
    response = jsonify(suggest(current_app.config["SEARCH_INDEX_DIR"], q))
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _facet_url(**changes: str | None) -> str:
    """This search with some arguments changed (None drops one), as ``url_with`` writes it
    (the same order and quoting), without a route built for each of a page's facet links."""
    args: dict[str, str] = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    query = urlencode(list(args.items()), safe="!$'()*,/:;?@")
    return f"{request.script_root}/search" + (f"?{query}" if query else "")


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
    results = search(index_dir, q, doc_type, region, page_arg(), year=year, facets=facets,
                     synonyms=synonyms.groups_by_word())
    bets = best_bets(index_dir, q) if q and results.page <= 1 else []
    trail = regions.trail(bets[0].code) if bets else []
    region_counts = [(c, results.facets.get("region_path", {}).get(codes.prefix(c.code), 0))
                     for c in children]
    return render_template("search/index.html", facet_url=_facet_url, q=q, doc_type=doc_type,
                           region=region,
                           place=place if region else None, year=year, results=results,
                           types=TYPE_LABELS, region_counts=region_counts, bets=bets,
                           trail=trail)
