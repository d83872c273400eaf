"""Region pages: the public API answer and the back-office region browser."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from sunshine.accounts.models import User
from sunshine.accounts.permissions import check_region, staff_required
from sunshine.api.openapi import add_paths
from sunshine.extensions import db
from sunshine.regions import services
from sunshine.regions.openapi import PATHS

bp = Blueprint("regions", __name__, url_prefix="/api/v1/regions")
admin_bp = Blueprint("admin_regions", __name__, url_prefix="/admin/regions")


@bp.record_once
def _describe(state: BlueprintSetupState) -> None:
    add_paths(state.app, PATHS)


@bp.get("/<code>")
def api_detail(code: str) -> Response | tuple[Response, int]:
    """The region, its ancestors (province first) and its children."""
    try:
        region = services.get_region(code)
    except services.RegionNotFound:
        return jsonify(error=f"区划 {code[:20]} 不存在"), 404
    return jsonify(
        region=region.to_dict(),
        ancestors=[r.to_dict() for r in services.ancestors_of(region)],
        children=[r.to_dict() for r in services.children_of(region.code)],
    )


@admin_bp.get("/")
@admin_bp.get("/<code>")
@staff_required()
def detail(code: str | None = None) -> str:
    """A region in the user's scope: its children and the staff accounts assigned to it."""
    code = code or current_user.region_code or services.GUANGXI
    try:
        region = services.get_region(code)
    except services.RegionNotFound:
        abort(404)
    check_region(current_user, region.code)
    staff = db.session.execute(
        select(User).where(User.region_code == region.code).order_by(User.username)
    ).scalars()
    return render_template("admin/region.html", region=region,
                           ancestors=services.ancestors_of(region),
                           children=services.children_of(region.code), staff=list(staff))
