"""Back office /admin/search/synonyms: the synonym groups of site search (province admins)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from sunshine.accounts.models import Role
from sunshine.accounts.permissions import staff_required
from sunshine.extensions import db
from sunshine.forms import show_error
from sunshine.registry import Section
from sunshine.search import synonyms
from sunshine.search.forms import DeleteForm, SynonymForm
from sunshine.web import render_form_page

bp = Blueprint("admin_search", __name__, url_prefix="/admin/search")
SECTION = Section("搜索近义词", "admin_search.groups", frozenset({Role.ADMIN.value}))


@bp.route("/synonyms", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def groups() -> Response | tuple[str, int]:
    """Every group, and a form for a new one."""
    form = SynonymForm()
    if form.validate_on_submit():
        try:
            synonyms.save_group(form.words.data or "", current_user)
        except synonyms.SynonymError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash("已添加近义词组", "success")
            return redirect(url_for("admin_search.groups"))
    return render_form_page("search/admin/synonyms.html", form=form,
                            groups=synonyms.list_groups(), delete=DeleteForm())


@bp.route("/synonyms/<int:group_id>", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def edit(group_id: int) -> Response | tuple[str, int]:
    """Change the words of a group."""
    group = db.get_or_404(synonyms.SynonymGroup, group_id)
    form = SynonymForm()
    if not form.is_submitted():
        form.words.data = group.words
    if form.validate_on_submit():
        try:
            synonyms.save_group(form.words.data or "", current_user, group)
        except synonyms.SynonymError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash("已保存近义词组", "success")
            return redirect(url_for("admin_search.groups"))
    return render_form_page("search/admin/edit.html", form=form, group=group)


@bp.post("/synonyms/<int:group_id>/delete")
@staff_required(Role.ADMIN)
def delete(group_id: int) -> Response:
    """Remove a group."""
    group = db.get_or_404(synonyms.SynonymGroup, group_id)
    if not DeleteForm().validate_on_submit():
        flash("操作已过期，请重试", "error")
        return redirect(url_for("admin_search.groups"))
    synonyms.delete_group(group, current_user)
    db.session.commit()
    flash("已删除近义词组", "success")
    return redirect(url_for("admin_search.groups"))
