"""The public API answer for a region: itself, its ancestors and its children."""

from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from sunshine.pagecache.data import keep
from sunshine.regions import services

bp = Blueprint("regions", __name__, url_prefix="/api/v1/regions")


@bp.get("/<code>")
@keep(services.TREE)
def api_detail(code: str) -> Response | tuple[Response, int]:
    """The region, its ancestors (province first) and its children; kept until the tree is
    loaded, imported or renamed again (an unknown code's 404 is not kept)."""
    try:
        region = services.get_region(code)
    except services.RegionNotFound:
        return jsonify(error=f"区划 {code[:20]} 不存在"), 404
    return jsonify(
        region=region.to_dict(),
        ancestors=[r.to_dict() for r in services.ancestors_of(region)],
        children=[r.to_dict() for r in services.children_of(region.code)],
    )
