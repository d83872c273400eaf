"""Back office of the register: /admin/stats/ (overview, households, a household, search by ID
number, recording a change). Admins and regional staff only, each within their region."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from sunshine.accounts.models import User
from sunshine.accounts.permissions import check_region, staff_required
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.forms import set_field_error, show_error
from sunshine.registry import Section, Tile
from sunshine.stats import register, rollup, vocab
from sunshine.stats.forms import FindForm, StatusChangeForm
from sunshine.stats.models import Household
from sunshine.web import int_arg, page_arg, render_form_page

bp = Blueprint("admin_stats", __name__, url_prefix="/admin/stats")
ROLES = register.REGISTER_ROLES
SECTION = Section("扶贫数据", "admin_stats.index", frozenset(r.value for r in ROLES))
#: Who read or changed the register, and its imports: read by the register's own roles.
ACTION_LABELS = {
    "households_listed": "查看档案名单", "household_viewed": "查看农户档案",
    "id_number_searched": "按身份证号查找", "household_changed": "修改农户档案",
    "stats_import": "导入档案", "stats_rebuilt": "重新统计",
}


def _household(archive: int) -> Household:
    household = register.get_household(current_user, archive)
    if household is None:
        abort(404)
    return household


@bp.get("/")
@staff_required(*ROLES)
def index() -> str:
    """Register overview in the user's region and the latest rollup builds."""
    from sqlalchemy import select

    from sunshine.stats.models import Build

    builds = db.session.execute(select(Build).order_by(Build.id.desc()).limit(10)).scalars()
    return render_template("stats/admin/index.html", overview=register.overview(current_user),
                           builds=list(builds), form=FindForm(formdata=None))


@bp.post("/rebuild")
@staff_required(*ROLES)
def rebuild() -> Response:
    """Recompute every rollup (province administrators)."""
    if current_user.role.value != "admin":
        abort(403)
    build = rollup.rebuild_all()
    from sunshine.audit import record

    record("stats_rebuilt", current_user, "stats", build.id, None, build.detail)
    db.session.commit()
    flash(f"已重新汇总：{build.regions} 个区划，用时 {build.seconds} 秒；{build.detail}",
          "success" if build.ok else "error")
    return redirect(url_for("admin_stats.index"))


@bp.get("/households")
@staff_required(*ROLES)
def households() -> str:
    """Households in the user's region (no names: those are on the household's page)."""
    region = register.region_ok(request.args.get("region", "")) if request.args.get("region") \
        else None
    status = request.args.get("status") if request.args.get("status") in register.STATUS_FILTERS \
        else None
    cause = int_arg("cause", 0, 1, len(vocab.CAUSES)) or None
    query = register.household_query(current_user, region, status, cause)
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    register.log_list_view(current_user, region, len(page.items))
    return render_template("stats/admin/households.html", page=page, region=region,
                           status=status, cause=cause, statuses=register.STATUS_FILTERS,
                           causes=vocab.CAUSES)


@bp.get("/households/<int:archive>")
@staff_required(*ROLES)
def household(archive: int) -> str:
    """One household: members (masked ID numbers), history, income, measures. Logged."""
    found = _household(archive)
    return render_template("stats/admin/household.html", household=found,
                           form=StatusChangeForm(formdata=None), years=vocab.YEARS)


@bp.post("/households/<int:archive>/change")
@staff_required(*ROLES)
def change(archive: int) -> Response | tuple[str, int]:
    """Record an exit, return, second exit or removal; the rollups follow."""
    found = db.get_or_404(Household, archive)
    check_region(current_user, found.village_code)
    form = StatusChangeForm()
    if form.validate_on_submit():
        try:
            register.change_status(current_user, found, form.change.data, form.year.data)
        except register.RegisterError as exc:
            db.session.rollback()
            show_error(form, exc, "change")
        else:
            flash("已记录，统计数据已更新。", "success")
            return redirect(url_for("admin_stats.household", archive=archive))
    household = _household(archive)
    return render_form_page("stats/admin/household.html", household=household, form=form,
                            years=vocab.YEARS)


@bp.route("/find", methods=["GET", "POST"])
@staff_required(*ROLES)
def find() -> Response | tuple[str, int]:
    """Find a person's household by ID number, within the user's region."""
    form = FindForm()
    if form.validate_on_submit():
        try:
            found = register.find_by_id_number(current_user, form.number.data)
        except register.RegisterError as exc:
            set_field_error(form.number, exc.message)
        else:
            if found is not None:
                return redirect(url_for("admin_stats.household", archive=found.id))
            set_field_error(form.number, "您负责的区划内没有这个身份证号")
    return render_form_page("stats/admin/find.html", form=form)


def dashboard_tiles(user: User) -> list[Tile]:
    if user.role not in ROLES:
        return []
    build = rollup.latest_build()
    tiles = [Tile("辖区内建档立卡户", register.overview(user).households,
                  url_for("admin_stats.households"), waiting=False)]
    if build is not None and not build.ok:
        tiles.append(Tile("统计汇总核对未通过", 1, url_for("admin_stats.index"), urgent=True))
    return tiles


__all__ = ["PermissionDenied", "bp"]
