"""The public search page."""

from __future__ import annotations

from flask import current_app, render_template, request

from sunshine.regions import codes
from sunshine.search import bp
from sunshine.search.index import TYPE_LABELS, search
from sunshine.web import page_arg


@bp.get("/search")
def index() -> str:
    """/search?q=...&type=...&region=..."""
    q = request.args.get("q", "").strip()[:200]
    doc_type = request.args.get("type") or None
    if doc_type not in TYPE_LABELS:
        doc_type = None
    region: str | None = request.args.get("region", "")
    try:
        codes.level_of(region or "")
    except codes.InvalidCode:  # not a division code at all, e.g. 000000000000
        region = None
    results = search(current_app.config["SEARCH_INDEX_DIR"], q, doc_type, region, page_arg())
    return render_template("search/index.html", q=q, doc_type=doc_type, region=region,
                           results=results, types=TYPE_LABELS)
