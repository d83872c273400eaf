"""Back office /admin/notices/: the region's notices, drafting (from the register, a project
or a fund), publishing, withdrawal, rulings on objections and the result announcement.

Another region's notice answers 403 and the attempt goes to the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from sunshine import clock
from sunshine.accounts.models import User
from sunshine.accounts.permissions import can_access_region, staff_required
from sunshine.audit import deny
from sunshine.complaints import handling
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.forms import show_error
from sunshine.guard import PersonalDataFound
from sunshine.notices import drafting, objections, periods, queries, services
from sunshine.notices.forms import (
    ActionForm,
    DraftForm,
    FinalizeForm,
    HouseholdsForm,
    RecordForm,
    RuleForm,
    WithdrawForm,
)
from sunshine.notices.models import REASON_HEADINGS, STATE_BADGES, Notice, NoticeKind, NoticeState
from sunshine.notices.services import WORKERS, NoticeError
from sunshine.records.models import State
from sunshine.regions import services as regions
from sunshine.registry import Section, Tile
from sunshine.web import page_arg, render_form_page, whole_number

bp = Blueprint("admin_notices", __name__, url_prefix="/admin/notices")
SECTION = Section("公示公告", "admin_notices.index", frozenset(r.value for r in WORKERS))


def _notice(notice_id: int) -> Notice:
    notice = db.get_or_404(Notice, notice_id)
    if not can_access_region(current_user, notice.region_code):
        deny("notice", notice.id, notice.region_code)
    return notice


@bp.get("/")
@staff_required(*WORKERS)
def index() -> str:
    """Notices of the user's region, drafts included."""
    args = request.args
    state = NoticeState(args["state"]) if args.get("state") in {s.value for s in NoticeState} \
        else None
    kind = NoticeKind(args["kind"]) if args.get("kind") in {k.value for k in NoticeKind} else None
    drafts = args.get("drafts") == "1"
    now = periods.now()
    page = db.paginate(queries.admin_query(current_user, state, kind, drafts, now),
                       page=page_arg(), per_page=30, error_out=False)
    return render_template("notices/admin/index.html", page=page, now=now, state=state,
                           kind=kind, drafts=drafts, states=list(NoticeState),
                           kinds=list(NoticeKind), state_of=periods.state_of,
                           badges=STATE_BADGES,
                           counts=objections.objection_counts([n.id for n in page.items]))


def _fields(form: DraftForm) -> services.DraftFields:
    year = form.register_year.data
    return services.DraftFields(
        kind=form.kind.data or "", region_code=(form.region_code.data or "").strip(),
        title=form.title.data or "", body=form.body.data or "", start_on=form.start_on.data,
        end_on=form.end_on.data, register_year=whole_number(year, 0) or None)


def _prefill_from_source(form: DraftForm) -> None:
    """?project=<id> or ?fund=<id>: a draft about one published record of the user's region."""
    for record_type in ("project", "fund"):
        record_id = whole_number(request.args.get(record_type), 0, highest=2**31 - 1)
        if not record_id:
            continue
        item = drafting.find_record(record_type, record_id)
        if item is None or item.state != State.PUBLISHED.value \
                or not can_access_region(current_user, item.region_code):
            continue
        label, detail = drafting.snapshot(record_type, item)
        form.kind.data, form.region_code.data = record_type, item.region_code
        form.title.data = f"关于{label}的{'项目' if record_type == 'project' else '资金'}公示"[:200]
        form.body.data = (f"现将{label}有关情况予以公示：{detail}。\n\n公示期间，如有异议，"
                          "可在本页提出，或拨打监督电话。")
        form.source.data = f"{record_type}:{item.id}"


@bp.route("/new", methods=["GET", "POST"])
@staff_required(*WORKERS)
def new() -> Response | tuple[str, int]:
    """A new draft; from a project or fund with ?project=<id> or ?fund=<id>."""
    form = DraftForm()
    if request.method == "GET":
        form.region_code.data = current_user.region_code or current_app.config["PROVINCE_CODE"]
        form.start_on.data = clock.china_date(periods.now())
        _prefill_from_source(form)
    if form.validate_on_submit():
        try:
            notice = services.create_draft(current_user, _fields(form))
            if form.source.data:
                _, _, record_id = form.source.data.partition(":")
                drafting.link_record(current_user, notice, int(record_id))
        except PermissionDenied:
            deny("notice", "new", form.region_code.data)
        except (NoticeError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash("已保存草稿", "success")
            return redirect(url_for("admin_notices.manage", notice_id=notice.id))
    return render_form_page("notices/admin/form.html", form=form, notice=None,
                            periods=current_app.config["NOTICE_PERIOD_DAYS"])


def _manage(notice: Notice, status: int = 200, **forms: Any) -> tuple[str, int]:
    now = periods.now()
    state = periods.state_of(notice, now)
    found = objections.objections_of(notice)
    draft_form = forms.get("draft") or DraftForm(formdata=None, obj=notice, prefix="draft")
    if "draft" not in forms:
        draft_form.kind.data = notice.kind.value
        draft_form.register_year.data = str(notice.register_year or "")
    record_form = forms.get("record") or RecordForm(formdata=None, prefix="record")
    editable = notice.published_at is None and notice.withdrawn_at is None
    if editable and notice.kind.record_type:
        records = drafting.record_candidates(current_user, notice)
        record_form.record_id.choices = {"": "请选择", **{
            str(r.id): f"{r.year}年 · {r.name}（{r.region.name}）" for r in records}} \
            if records else {}
    # An objection to a village's notice is handled a level up: the village's own staff see
    # that it came and where it stands, never its text, as on the case page.
    readable = {o.case.id for o in found if handling.can_read(o.case, current_user)}
    rule_forms = {o.case.id: forms.get(f"rule{o.case.id}") or RuleForm(
        formdata=None, prefix=f"rule{o.case.id}") for o in found
        if not o.resolved and o.case.id in readable}
    finalize_form = forms.get("finalize") or FinalizeForm(formdata=None, prefix="finalize")
    if "finalize" not in forms:
        finalize_form.title.data = f"关于“{notice.title}”的结果公告"[:200]
        finalize_form.body.data = (f"{notice.title}已于 {notice.start_on.isoformat()} 至 "
                                   f"{notice.end_on.isoformat()} 公示期满。对公示期间收到的异议，"
                                   "经调查核实，裁定结果见下表。现将结果予以公告。")
    return render_template(
        "notices/admin/manage.html", notice=notice, state=state, badge=STATE_BADGES[state],
        editable=editable, objections=found, readable=readable, draft_form=draft_form,
        record_form=record_form,
        withdraw_form=forms.get("withdraw") or WithdrawForm(formdata=None, prefix="withdraw"),
        rule_forms=rule_forms, finalize_form=finalize_form, action=ActionForm(formdata=None),
        finalize_problem=objections.finalize_problem(notice, now),
        result=objections.result_of(notice) if notice.announced_at else None,
        reason_heading=REASON_HEADINGS.get(notice.kind, "情况"),
        days_left=periods.days_left(notice, now)), status


@bp.get("/<int:notice_id>")
@staff_required(*WORKERS)
def manage(notice_id: int) -> tuple[str, int]:
    """One notice: its draft, list and records, or its objections and result."""
    return _manage(_notice(notice_id))


def _done(notice: Notice, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin_notices.manage", notice_id=notice.id))


@bp.post("/<int:notice_id>/edit")
@staff_required(*WORKERS)
def edit(notice_id: int) -> Response | tuple[str, int]:
    notice = _notice(notice_id)
    form = DraftForm(prefix="draft")
    if form.validate():
        try:
            services.update_draft(current_user, notice, _fields(form))
        except PermissionDenied:
            deny("notice", notice.id, form.region_code.data)
        except (NoticeError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            return _done(notice, "已保存草稿")
    return _manage(notice, 400, draft=form)


@bp.route("/<int:notice_id>/households", methods=["GET", "POST"])
@staff_required(*WORKERS)
def households(notice_id: int) -> Response | tuple[str, int]:
    """Pick households from the register (masked), by village, for the draft's list."""
    notice = _notice(notice_id)
    if not notice.kind.lists_households or notice.published_at or notice.withdrawn_at:
        abort(404)
    form = HouseholdsForm()
    village = request.args.get("village", "")
    if request.method == "POST" and form.validate():
        chosen = [n for x in form.households.data or []
                  if (n := whole_number(x, 0, highest=10**17 - 1))]
        try:
            added = drafting.add_households(current_user, notice, chosen)
        except NoticeError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            return _done(notice, f"已加入 {added} 户")
    try:
        found, total = drafting.candidates(current_user, notice, village or None)
    except NoticeError:
        abort(404)
    except PermissionDenied:
        deny("notice", notice.id, village)
    return render_form_page("notices/admin/households.html", notice=notice, form=form,
                            candidates=found, total=total, village=village,
                            villages=_villages(notice),
                            limit=drafting.PICK_LIMIT)


def _villages(notice: Notice) -> list[Any]:
    """The villages of the notice's region, to pick households village by village."""
    if notice.region.level == 5:
        return []
    return regions.list_regions(level=5, within=notice.region_code)


@bp.post("/<int:notice_id>/entries/<int:entry_id>/remove")
@staff_required(*WORKERS)
def remove_entry(notice_id: int, entry_id: int) -> Response | tuple[str, int]:
    notice = _notice(notice_id)
    if not ActionForm().validate():
        return _manage(notice, 400)
    try:
        drafting.remove_entry(current_user, notice, entry_id)
    except NoticeError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _manage(notice, 400)
    return _done(notice, "已移出名单")


@bp.post("/<int:notice_id>/records")
@staff_required(*WORKERS)
def link(notice_id: int) -> Response | tuple[str, int]:
    notice = _notice(notice_id)
    form = RecordForm(prefix="record")
    if form.validate():
        try:
            drafting.link_record(current_user, notice, int(form.record_id.data))
        except NoticeError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            return _done(notice, "已关联")
    return _manage(notice, 400, record=form)


@bp.post("/<int:notice_id>/records/<int:link_id>/remove")
@staff_required(*WORKERS)
def unlink(notice_id: int, link_id: int) -> Response | tuple[str, int]:
    notice = _notice(notice_id)
    if not ActionForm().validate():
        return _manage(notice, 400)
    try:
        drafting.unlink_record(current_user, notice, link_id)
    except NoticeError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _manage(notice, 400)
    return _done(notice, "已取消关联")


@bp.post("/<int:notice_id>/publish")
@staff_required(*WORKERS)
def publish(notice_id: int) -> Response | tuple[str, int]:
    notice = _notice(notice_id)
    if not ActionForm().validate():
        return _manage(notice, 400)
    try:
        services.publish(current_user, notice)
    except (NoticeError, PersonalDataFound) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _manage(notice, 400)
    return _done(notice, "已发布")


@bp.post("/<int:notice_id>/withdraw")
@staff_required(*WORKERS)
def withdraw(notice_id: int) -> Response | tuple[str, int]:
    notice = _notice(notice_id)
    form = WithdrawForm(prefix="withdraw")
    if form.validate():
        try:
            services.withdraw(current_user, notice, form.reason.data or "")
        except (NoticeError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            return _done(notice, "已撤回")
    return _manage(notice, 400, withdraw=form)


@bp.post("/<int:notice_id>/objections/<int:case_id>/rule")
@staff_required(*WORKERS)
def rule(notice_id: int, case_id: int) -> Response | tuple[str, int]:
    """Rule on one objection: 成立 or 不成立, with the reason the objector and the public read."""
    notice = _notice(notice_id)
    prefix = f"rule{case_id}"
    form = RuleForm(prefix=prefix)
    if form.validate():
        try:
            objections.rule(current_user, notice, case_id, form.ruling.data, form.reason.data)
        except PermissionDenied:
            db.session.rollback()
            flash("这条异议由其他单位办理，您不能裁定。", "error")
            return _manage(notice, 403)
        except (NoticeError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            return _done(notice, "已裁定，异议人凭查询码可以看到裁定结果")
    return _manage(notice, 400, **{prefix: form})


@bp.post("/<int:notice_id>/finalize")
@staff_required(*WORKERS)
def finalize(notice_id: int) -> Response | tuple[str, int]:
    """Publish the result announcement (结果公告)."""
    notice = _notice(notice_id)
    form = FinalizeForm(prefix="finalize")
    if form.validate():
        try:
            result = objections.finalize(current_user, notice, form.title.data,
                                         form.body.data or "")
        except (NoticeError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            return _done(result, "已发布结果公告")
    return _manage(notice, 400, finalize=form)


def dashboard_tiles(user: User) -> list[Tile]:
    if user.role not in WORKERS:
        return []
    counts = services.count_in(user)
    index = url_for("admin_notices.index")
    return [Tile("公示草稿", counts["drafts"], index + "?drafts=1"),
            Tile("公示期满待发结果公告", counts["expired"], index + "?state=expired",
                 urgent=counts["expired"] > 0)]
