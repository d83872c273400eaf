"""Dashboard, user management (province admins) and the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from sunshine.accounts import services as accounts
from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import check_region, staff_required
from sunshine.admin.dashboard import sections_for, tiles_for
from sunshine.admin.forms import ToggleForm, UserForm
from sunshine.admin.services import audit_query, readable_actions
from sunshine.extensions import db
from sunshine.forms import show_error
from sunshine.registry import registry
from sunshine.web import page_arg, render_form_page

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_context_processor
def _navigation() -> dict[str, object]:
    return {"admin_sections": lambda: sections_for(current_user)}


@bp.get("/")
@staff_required()
def dashboard() -> str:
    """What waits for the user's region."""
    recent = db.paginate(audit_query(current_user), page=1, per_page=10, error_out=False)
    return render_template("admin/dashboard.html", tiles=tiles_for(current_user),
                           recent=recent.items, labels=registry().audit_labels)


@bp.get("/users/")
@staff_required(Role.ADMIN)
def users() -> str:
    """Every account, grouped by role and region."""
    return render_template("admin/users.html", users=accounts.list_users(), toggle=ToggleForm())


@bp.route("/users/new", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def new_user() -> Response | tuple[str, int]:
    """Create a staff, oversight or editor account."""
    form = UserForm()
    form.role.choices = [(r.value, r.label) for r in accounts.staff_roles()]
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.username.data, form.password.data, form.role.data,
                                        form.region_code.data or None, form.display_name.data or "",
                                        actor=current_user)
        except accounts.AccountError as exc:
            db.session.rollback()
            show_error(form, exc, "username")
        else:
            db.session.commit()
            flash(f"已创建账号 {user.username}", "success")
            return redirect(url_for("admin.users"))
    return render_form_page("admin/user_form.html", form=form)


@bp.post("/users/<int:user_id>/toggle")
@staff_required(Role.ADMIN)
def toggle_user(user_id: int) -> Response:
    """Disable (ending its sessions) or re-enable an account."""
    form = ToggleForm()
    if not form.validate_on_submit():
        flash("操作已过期，请重试", "error")
        return redirect(url_for("admin.users"))
    user = db.get_or_404(User, user_id)
    check_region(current_user, user.region_code or current_user.region_code)
    if user.id == current_user.id:
        flash("不能停用自己的账号", "error")
        return redirect(url_for("admin.users"))
    accounts.set_active(user, not user.active, current_user)
    flash(f"账号 {user.username} 已{'启用' if user.active else '停用'}", "success")
    return redirect(url_for("admin.users"))


@bp.get("/audit/")
@staff_required()
def audit() -> str:
    """The append-only audit log: what the user's role may read in their region."""
    readable = readable_actions(current_user)
    action = request.args.get("action")
    if action not in readable:
        action = None
    page = db.paginate(audit_query(current_user, action), page=page_arg(), per_page=50,
                       error_out=False)
    return render_template("admin/audit.html", page=page, labels=registry().audit_labels,
                           choices=readable, action=action,
                           show_address=current_user.role == Role.ADMIN)
