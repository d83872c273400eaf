"""Back office /admin/matching/: needs of the staff member's region (create, edit, submit,
verify, send back, withdraw, thank, close), their pledges (start delivery, record it and print
the slip, countersign, cancel) and the logged view of donors' contacts. The services check the
region and write the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope, staff_required
from sunshine.audit import deny, record
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.forms import set_field_error, show_error
from sunshine.guard import PersonalDataFound
from sunshine.matching import delivery, limits, names, needs, photos, pledges, queries
from sunshine.matching.common import HANDLER_ROLES, MatchingError, check_handler
from sunshine.matching.editing import fields_from, form_for, public_form_for
from sunshine.matching.forms import NeedForm, PhotoForm, PublicEditForm, ReasonForm, ThanksForm
from sunshine.matching.models import Need, NeedPhoto, NeedState, Pledge, PledgeState
from sunshine.registry import Section, Tile
from sunshine.uploads import PhotoRejected
from sunshine.web import page_arg, render_form_page

bp = Blueprint("admin_matching", __name__, url_prefix="/admin/matching")
SECTION = Section("爱心帮扶", "admin_matching.index",
                  frozenset(r.value for r in HANDLER_ROLES))
ACTION_LABELS = {
    "matching.need_create": "新建帮扶需求", "matching.need_edit": "修改帮扶需求",
    "matching.need_submit": "提交需求审核", "matching.need_verify": "需求审核通过",
    "matching.need_send_back": "退回需求", "matching.need_withdraw": "撤下需求",
    "matching.need_thank": "发布感谢", "matching.need_close": "关闭需求",
    "matching.photo_add": "添加需求照片", "matching.photo_remove": "删除需求照片",
    "matching.pledge": "认领需求", "matching.pledge_cancel": "取消认领",
    "matching.delivery_start": "开始配送", "matching.delivery_record": "登记送达",
    "matching.slip_reprint": "补打送达单", "matching.countersign": "会签确认送达",
    "matching.confirm_code": "农户凭码确认收到", "matching.contacts_view": "查看捐赠人联系方式",
}


def _need(need_id: int) -> Need:
    need = db.get_or_404(Need, need_id)
    try:
        check_handler(current_user, need.village_code)
    except PermissionDenied:
        deny("matching_need", need.id, need.village_code)
    return need


@bp.get("/")
@staff_required(*HANDLER_ROLES)
def index() -> str:
    """Needs of the region, those waiting for this user's verification first."""
    scope = region_scope(current_user, Need.village_code)
    state = request.args.get("state", "")
    query = select(Need).where(scope)
    if state in [s.value for s in NeedState]:
        query = query.where(Need.state == state)
    page = db.paginate(query.order_by(Need.updated_at.desc(), Need.id.desc()), page=page_arg(),
                       per_page=30, error_out=False)
    pending = [n for n in db.session.execute(select(Need).where(
        scope, Need.state == NeedState.PENDING.value).order_by(Need.id).limit(100)).scalars()
        if needs.can_verify(current_user, n)]
    return render_template("matching/admin/index.html", page=page, pending=pending, state=state,
                           states=list(NeedState), can_create=needs.can_create(current_user),
                           lapsing=limits.flagged_in(scope, utcnow()))


@bp.route("/new", methods=["GET", "POST"])
@staff_required(*HANDLER_ROLES)
def new() -> Response | tuple[str, int]:
    """A new draft need for a household of the region."""
    if not needs.can_create(current_user):
        abort(403)
    form = NeedForm() if request.method == "POST" else form_for(None)
    items_error = ""
    if form.validate_on_submit():
        try:
            need = needs.create_need(current_user, fields_from(form))
        except MatchingError as exc:
            db.session.rollback()
            items_error = _show(form, exc)
        else:
            flash("已保存为草稿。检查无误后请提交审核。", "success")
            return redirect(url_for("admin_matching.detail", need_id=need.id))
    return render_form_page("matching/admin/edit.html", form=form, need=None,
                            items_error=items_error)


def _show(form: Any, exc: MatchingError) -> str:
    """Put a service error at its field; errors about the goods go above their table."""
    if exc.field and exc.field.startswith("items"):
        return exc.message
    show_error(form, exc, "title")
    return ""


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@staff_required(*HANDLER_ROLES)
def edit(need_id: int) -> Response | tuple[str, int]:
    """Drafts: everything. Public needs: text, urgency and deadline only."""
    need = _need(need_id)
    draft = need.state == NeedState.DRAFT
    if request.method == "POST":
        form: Any = NeedForm() if draft else PublicEditForm()
    else:
        form = form_for(need) if draft else public_form_for(need)
    items_error = ""
    if form.validate_on_submit():
        try:
            if draft:
                needs.update_draft(current_user, need, fields_from(form))
            else:
                needs.update_public(current_user, need, form.title.data, form.story.data or "",
                                    int(form.urgency.data), form.deadline.data)
        except MatchingError as exc:
            db.session.rollback()
            items_error = _show(form, exc)
        except PersonalDataFound as exc:
            db.session.rollback()
            set_field_error(form.story, exc.message)
        else:
            flash("已保存。", "success")
            return redirect(url_for("admin_matching.detail", need_id=need.id))
    return render_form_page("matching/admin/edit.html", form=form, need=need,
                            items_error=items_error)


def _detail(need: Need, status: int = 200, contacts: list[tuple[Pledge, User]] | None = None,
            **forms: Any) -> tuple[str, int]:
    rows = list(db.session.execute(select(Pledge).where(Pledge.need_id == need.id)
                                   .order_by(Pledge.id)).scalars())
    context = {"reason_form": ReasonForm(formdata=None), "thanks_form": ThanksForm(formdata=None),
               "photo_form": PhotoForm(formdata=None), **forms}
    if not context["thanks_form"].note.data:
        context["thanks_form"].note.data = need.thanks_note
    return render_template(
        "matching/admin/need.html", need=need, pledges=rows, contacts=contacts,
        lapsing=limits.flagged({p.donor_id for p in rows}, utcnow()),
        warnings=names.warnings_for(need), place=queries.place(need),
        can_verify=needs.can_verify(current_user, need),
        can_finish=need.state in (NeedState.DELIVERED, NeedState.THANKED)
        or needs.finished_early(need), **context), status


@bp.get("/<int:need_id>")
@staff_required(*HANDLER_ROLES)
def detail(need_id: int) -> tuple[str, int]:
    """A need as staff see it: the register link, name warnings, pledges and every step."""
    return _detail(_need(need_id))


STEPS = {"submit": "已提交审核。", "verify": "已核实并发布。", "send_back": "已退回修改。",
         "withdraw": "已撤回。", "close": "已结束。"}


def _routes(rule: str, steps: list[str]) -> Any:
    """One rule per step (``/<id>/verify`` …), so that every URL is a plain path."""

    def register(view: Any) -> Any:
        for name in steps:
            bp.add_url_rule(rule.replace("STEP", name), view_func=view, methods=["POST"],
                            defaults={"step": name})
        return view

    return register


@_routes("/<int:need_id>/STEP", list(STEPS))
@staff_required(*HANDLER_ROLES)
def step(need_id: int, step: str) -> Response | tuple[str, int]:
    """One step of a need's life; a reason where the step needs one."""
    need = _need(need_id)
    form = ReasonForm()
    if form.validate_on_submit():
        reason = form.reason.data or ""
        try:
            if step == "submit":
                needs.submit(current_user, need)
            elif step == "verify":
                needs.verify(current_user, need)
            elif step == "send_back":
                needs.send_back(current_user, need, reason)
            elif step == "withdraw":
                needs.withdraw(current_user, need, reason)
            else:
                needs.close(current_user, need)
        except (MatchingError, PersonalDataFound) as exc:
            db.session.rollback()
            set_field_error(form.reason, exc.message)
        else:
            flash(STEPS[step], "success")
            return redirect(url_for("admin_matching.detail", need_id=need.id))
    return _detail(need, 400, reason_form=form)


@bp.post("/<int:need_id>/thanks")
@staff_required(*HANDLER_ROLES)
def thanks(need_id: int) -> Response | tuple[str, int]:
    """Write down the household's thanks (public) once everything arrived."""
    need = _need(need_id)
    form = ThanksForm()
    if form.validate_on_submit():
        try:
            needs.thank(current_user, need, form.note.data)
        except (MatchingError, PersonalDataFound) as exc:
            db.session.rollback()
            set_field_error(form.note, exc.message)
        else:
            flash("已登记致谢，认领人可以看到。", "success")
            return redirect(url_for("admin_matching.detail", need_id=need.id))
    return _detail(need, 400, thanks_form=form)


@bp.post("/<int:need_id>/contacts")
@staff_required(*HANDLER_ROLES)
def contacts(need_id: int) -> tuple[str, int]:
    """The donors' contacts, for arranging delivery; each view is logged."""
    need = _need(need_id)
    rows = list(db.session.execute(select(Pledge, User).join(User, User.id == Pledge.donor_id)
                                   .where(Pledge.need_id == need.id).order_by(Pledge.id)).all())
    record("matching.contacts_view", current_user, "matching_need", need.id, need.village_code)
    db.session.commit()
    return _detail(need, contacts=[(p, u) for p, u in rows])


@_routes("/pledges/<int:pledge_id>/STEP", ["start", "deliver", "countersign", "cancel"])
@staff_required(*HANDLER_ROLES)
def pledge_step(pledge_id: int, step: str) -> Response | tuple[str, int] | str:
    """Start delivery, record it (and print the slip), countersign, or cancel a pledge."""
    item = db.get_or_404(Pledge, pledge_id)
    need = _need(item.need_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _detail(need, 400, reason_form=form)
    try:
        if step == "start":
            delivery.start_delivery(current_user, item)
        elif step == "deliver":
            code = delivery.record_delivery(current_user, item)
            db.session.refresh(item)
            return render_template("matching/admin/slip.html", pledge=item, need=need,
                                   place=queries.place(need), code=code,
                                   confirm_url=url_for("matching.confirm", _external=True))
        elif step == "countersign":
            delivery.countersign(current_user, item)
        else:
            pledges.cancel(current_user, item, form.reason.data or "")
    except MatchingError as exc:
        db.session.rollback()
        set_field_error(form.reason, exc.message)
        return _detail(need, exc.status, reason_form=form)
    flash("已处理。", "success")
    return redirect(url_for("admin_matching.detail", need_id=need.id))


@bp.post("/<int:need_id>/photos")
@staff_required(*HANDLER_ROLES)
def add_photos(need_id: int) -> Response | tuple[str, int]:
    """Add photos with the household's recorded consent."""
    need = _need(need_id)
    form = PhotoForm()
    status = 400
    if form.validate_on_submit():
        files = photos.PHOTOS.read(request.files.getlist("photos"))
        try:
            photos.add_photos(current_user, need, files, form.consent.data)
        except MatchingError as exc:
            show_error(form, exc, "photos")
        except PhotoRejected as exc:
            set_field_error(form.photos, exc.message)
            status = exc.status
        else:
            flash("照片已添加。", "success")
            return redirect(url_for("admin_matching.detail", need_id=need.id))
    return _detail(need, status, photo_form=form)


@bp.post("/<int:need_id>/photos/<int:photo_id>/delete")
@staff_required(*HANDLER_ROLES)
def remove_photo(need_id: int, photo_id: int) -> Response:
    need = _need(need_id)
    photo = db.get_or_404(NeedPhoto, photo_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            photos.remove_photo(current_user, need, photo)
        except MatchingError as exc:
            flash(exc.message, "error")
        else:
            flash("照片已删除。", "success")
    return redirect(url_for("admin_matching.detail", need_id=need.id))


def dashboard_tiles(user: User) -> list[Tile]:
    if user.role not in HANDLER_ROLES:
        return []
    scope = region_scope(user, Need.village_code)
    pending = [n for n in db.session.execute(select(Need).where(
        scope, Need.state == NeedState.PENDING.value).limit(200)).scalars()
        if needs.can_verify(user, n)]
    delivered = db.session.scalar(select(func.count()).select_from(Pledge).join(Need).where(
        scope, Pledge.state == PledgeState.DELIVERED.value)) or 0
    url = url_for("admin_matching.index")
    return [Tile("待您核实的帮扶需求", len(pending), url, urgent=bool(pending)),
            Tile("已送达待确认的认领", delivered, url)]
