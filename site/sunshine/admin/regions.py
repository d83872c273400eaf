"""Back office /admin/regions/: browse the regions of the user's scope and who is assigned there."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from sunshine.accounts.models import User
from sunshine.accounts.permissions import check_region, staff_required
from sunshine.extensions import db
from sunshine.regions import services
from sunshine.regions.province import province_code

bp = Blueprint("admin_regions", __name__, url_prefix="/admin/regions")


@bp.get("/")
@bp.get("/<code>")
@staff_required()
def detail(code: str | None = None) -> str:
    """A region in the user's scope: its children and the staff accounts assigned to it."""
    code = code or current_user.region_code or province_code()
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
