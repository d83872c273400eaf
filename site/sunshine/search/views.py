"""The public search page (hits, a place named in the query first, facets by type, region and
year, a page cache) and the suggestions the search box asks for while someone types."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from urllib.parse import quote_plus

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from sunshine import pagecache
from sunshine.pagecache.data import keep
from sunshine.regions import codes
from sunshine.search import page
from sunshine.search.index import TYPE_LABELS, search
from sunshine.search.searchers import index_version
from sunshine.search.suggest import best_bets, suggest
from sunshine.search.suggest import trail as best_trail
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
                            extra=_index_generation)


def _index_generation() -> int:
    return index_version(current_app.config["SEARCH_INDEX_DIR"])


@bp.get("/search/suggest")
@keep(extra=_index_generation)
def suggestions() -> Response:
    """/search/suggest?q=...: regions and titles for the search box, as JSON. They come from
    the index alone: kept by the page cache per index generation, with an ETag, so that a
    prefix typed again (or revalidated after the browser's minute) is answered in front of
    Flask."""
    q = request.args.get("q", "").strip()[:50]
    response = jsonify(suggest(current_app.config["SEARCH_INDEX_DIR"], q))
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


class FacetLinks:
    """This search with some arguments changed (None drops one), as ``url_with`` writes it
    (the same order and quoting): a page has dozens of facet links, and each argument is
    quoted once rather than a URL built for each."""

    def __init__(self) -> None:
        self.base = f"{request.script_root}/search"
        self.pairs = {key: _pair(key, value) for key, value in request.args.items()}

    def __call__(self, **changes: str | None) -> str:
        pairs = dict(self.pairs)
        for key, value in changes.items():
            if value is None:
                pairs.pop(key, None)
            else:
                pairs[key] = _pair(key, value)
        return self.base + ("?" + "&".join(pairs.values()) if pairs else "")


@functools.lru_cache(maxsize=1024)
def _pair(key: str, value: str) -> str:
    """``key=value`` quoted; remembered, as the same facet values recur on every page."""
    return f"{quote_plus(key, _SAFE)}={quote_plus(str(value), _SAFE)}"


_SAFE = "!$'()*,/:;?@"


def _render(index_dir: str) -> str:
    q = request.args.get("q", "").strip()[:200]
    doc_type = request.args.get("type") or None
    if doc_type not in TYPE_LABELS:
        doc_type = None
    region = codes.clean(request.args.get("region"))
    years = [str(y) for y in range(datetime.now(UTC).year, FIRST_YEAR - 1, -1)]
    year = request.args.get("year") if request.args.get("year") in years else None
    version = page.data_version()
    place, children = page.area(region or current_app.config["PROVINCE_CODE"], version)
    facets = {"type": list(TYPE_LABELS), "year": years,
              "region_path": [codes.prefix(c.code) for c in children]}
    results = search(index_dir, q, doc_type, region, page_arg(), year=year, facets=facets,
                     synonyms=page.synonym_groups(version))
    bets = best_bets(index_dir, q) if q and results.page <= 1 else []
    trail = best_trail(index_dir, bets[0].code) if bets else []
    region_counts = [(c, results.facets.get("region_path", {}).get(codes.prefix(c.code), 0))
                     for c in children]
    return render_template("search/index.html", facet_url=FacetLinks(), q=q, doc_type=doc_type,
                           region=region,
                           place=place if region else None, year=year, results=results,
                           types=TYPE_LABELS, region_counts=region_counts, bets=bets,
                           trail=trail)
