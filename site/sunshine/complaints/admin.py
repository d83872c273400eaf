"""Back office for cases: the list of what is routed to the user's region, a case page with
each handling step, the moderation queue, the published Q&A, and (for 督查 only) the logged
view of who filed a case."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import staff_required
from sunshine.complaints import handling
from sunshine.complaints.forms import (
    ActionForm,
    NoteForm,
    PublishForm,
    RejectForm,
    ReplyForm,
    StepForm,
    TransferForm,
)
from sunshine.complaints.models import Case, CasePhoto, EventType, Kind, Moderation, Status
from sunshine.complaints.services import PHOTOS
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.forms import BaseForm, set_field_error, show_error
from sunshine.guard import PersonalDataFound
from sunshine.registry import Section, Tile
from sunshine.tracked.sealing import UNREADABLE, IdentityUnreadable
from sunshine.web import page_arg

bp = Blueprint("admin_complaints", __name__, url_prefix="/admin/complaints")
READERS = tuple(handling.READERS)
SECTION = Section("投诉举报", "admin_complaints.index",
                  frozenset(r.value for r in handling.READERS))
#: Audit actions of case handling, read by the roles that read cases.
ACTION_LABELS = {
    "complaint_submitted": "收到投诉举报", "complaint_rated": "群众评价",
    "complaint_reopened": "群众不满意，重新办理", "complaint_accepted": "受理案件",
    "complaint_verdict": "群众回访答复",
    "complaint_rejected": "不予受理", "complaint_in_progress": "开始办理",
    "complaint_transferred": "转办案件", "complaint_received": "接收转办案件",
    "complaint_replied": "答复案件", "complaint_closed": "办结案件",
    "complaint_note": "添加内部备注", "complaint_spam": "标为垃圾信息",
    "complaint_released": "审核放行", "complaint_overdue": "案件逾期",
    "complaint_published": "公开案件", "complaint_unpublished": "撤回公开案件",
}
#: Who opened a complainant's identity: read by oversight (and the administrator) only.
OVERSIGHT_LABELS = {"complaint_reporter_viewed": "查看反映人身份"}

#: The form of each step endpoint.
STEP_FORMS: dict[str, type[BaseForm]] = {
    "accept": StepForm, "start": StepForm, "close": StepForm, "reject": RejectForm,
    "transfer": TransferForm, "reply": ReplyForm, "note": NoteForm,
}


def _case(case_id: int) -> Case:
    case = db.get_or_404(Case, case_id)
    handling.readable(case, current_user)
    return case


def _filters() -> handling.AdminFilters:
    args = request.args
    status = Status(args["status"]) if args.get("status") in {s.value for s in Status} else None
    kind = Kind(args["kind"]) if args.get("kind") in {k.value for k in Kind} else None
    return handling.AdminFilters(status=status, kind=kind, overdue=args.get("overdue") == "1",
                                 held=args.get("held") == "1")


@bp.get("/")
@staff_required(*READERS)
def index() -> str:
    """Cases routed to the user's region; never who filed them."""
    # The overdue sweep also runs here, so a site without cron still flags late cases.
    handling.mark_overdue()
    filters = _filters()
    now = utcnow()
    page = db.paginate(handling.admin_query(current_user, filters, now), page=page_arg(),
                       per_page=30, error_out=False)
    return render_template("complaints/admin/index.html", page=page, filters=filters, now=now,
                           statuses=list(Status), kinds=list(Kind),
                           counts=handling.counts_for(current_user, now))


def _forms(case: Case) -> dict[str, BaseForm]:
    # Prefixed, so that the forms on one page have distinct field ids.
    return {name: cls(formdata=None, prefix=name) for name, cls in STEP_FORMS.items()}


def _detail(case: Case, status: int = 200, forms: dict[str, BaseForm] | None = None,
            findings: list[Any] | None = None) -> tuple[str, int]:
    user: User = current_user
    handler = user.role in handling.HANDLERS
    return render_template(
        "complaints/admin/detail.html", case=case, forms=forms or _forms(case),
        now=utcnow(), handler=handler,
        allowed=handling.TRANSITIONS[case.status] if handler else frozenset(),
        Status=Status, EventType=EventType, Moderation=Moderation, findings=findings,
        oversight=user.role is Role.OVERSIGHT), status


@bp.get("/<int:case_id>")
@staff_required(*READERS)
def detail(case_id: int) -> tuple[str, int]:
    """One case: text, photos, full history with internal notes, and the next steps."""
    return _detail(_case(case_id))


@staff_required(*READERS)
def step(case_id: int, step: str) -> Response | tuple[str, int]:
    """One handling step; the service checks the role, the region and the state."""
    case = _case(case_id)
    form = STEP_FORMS[step](prefix=step)
    forms = _forms(case)
    forms[step] = form
    if not form.validate():
        return _detail(case, 400, forms)
    data = {name: (f.data or "") for name, f in form._fields.items() if name != "csrf_token"}
    try:
        if step == "accept":
            handling.accept(case, current_user, data["text"])
        elif step == "start":
            handling.start(case, current_user, data["text"])
        elif step == "close":
            handling.close(case, current_user, data["text"])
        elif step == "reject":
            handling.reject(case, current_user, data["reason"], data["redirect_to"])
        elif step == "transfer":
            handling.transfer(case, current_user, data["region_code"], data["reason"])
        elif step == "reply":
            handling.reply(case, current_user, data["text"])
        else:
            handling.add_note(case, current_user, data["text"])
    except handling.CaseError as exc:
        db.session.rollback()
        show_error(form, exc)
        return _detail(case, 400, forms)
    except PersonalDataFound as exc:
        db.session.rollback()
        first = next(f for name, f in form._fields.items() if name != "csrf_token")
        set_field_error(first, exc.message)
        return _detail(case, 400, forms, exc.findings)
    flash("已保存" if step == "note" else "已办理", "success")
    return redirect(url_for("admin_complaints.detail", case_id=case.id))


for _name in STEP_FORMS:
    bp.add_url_rule(f"/<int:case_id>/{_name}", endpoint="step", view_func=step,
                    methods=["POST"], defaults={"step": _name})


@bp.post("/<int:case_id>/moderate")
@staff_required(*READERS)
def moderate(case_id: int) -> Response | tuple[str, int]:
    """The moderation queue: release into handling, or confirm as spam."""
    case = _case(case_id)
    form = ActionForm()
    if not form.validate():
        return _detail(case, 400)
    try:
        handling.moderate(case, current_user, spam=request.form.get("decision") == "spam")
    except handling.CaseError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _detail(case, 400)
    flash("已审核", "success")
    return redirect(url_for("admin_complaints.detail", case_id=case.id))


@bp.route("/<int:case_id>/publish", methods=["GET", "POST"])
@staff_required(*READERS)
def publish(case_id: int) -> Response | tuple[str, int]:
    """Publish the anonymized question and the reply as a public Q&A (with consent)."""
    case = _case(case_id)
    if current_user.role not in handling.HANDLERS:
        abort(403)
    form = PublishForm()
    findings = None
    if request.method == "GET":
        reply = case.latest_reply
        form.title.data = case.public_title or case.subject
        form.question.data = case.public_question or case.body
        form.answer.data = case.public_answer or (reply.text if reply else "")
    elif form.validate():
        try:
            handling.publish_answer(case, current_user, form.title.data, form.question.data,
                                    form.answer.data)
        except handling.CaseError as exc:
            db.session.rollback()
            show_error(form, exc, "title")
        except PersonalDataFound as exc:
            db.session.rollback()
            set_field_error(form.question, exc.message)
            findings = exc.findings
        else:
            flash("已公开", "success")
            return redirect(url_for("admin_complaints.detail", case_id=case.id))
    status = 400 if request.method == "POST" else 200
    return render_template("complaints/admin/publish.html", case=case, form=form,
                           findings=findings), status


@bp.post("/<int:case_id>/unpublish")
@staff_required(*READERS)
def unpublish(case_id: int) -> Response | tuple[str, int]:
    case = _case(case_id)
    form = ActionForm()
    if not form.validate():
        return _detail(case, 400)
    try:
        handling.unpublish_answer(case, current_user)
    except handling.CaseError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _detail(case, 400)
    flash("已撤下公开的问答", "success")
    return redirect(url_for("admin_complaints.detail", case_id=case.id))


@bp.post("/<int:case_id>/reporter")
@staff_required(*READERS)
def reporter(case_id: int) -> tuple[str, int]:
    """督查 only: who filed the case. Each view is written to the audit log."""
    case = _case(case_id)
    if current_user.role is not Role.OVERSIGHT:
        abort(403)
    form = ActionForm()
    if not form.validate():
        return _detail(case, 400)
    try:
        identity = handling.view_reporter(case, current_user)
    except handling.CaseError as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return _detail(case)
    except IdentityUnreadable:
        db.session.rollback()
        flash(UNREADABLE, "error")
        return _detail(case, 500)
    return render_template("complaints/admin/reporter.html", case=case, identity=identity), 200


@bp.get("/<int:case_id>/photos/<int:photo_id>")
@staff_required(*READERS)
def photo(case_id: int, photo_id: int) -> Response:
    case = _case(case_id)
    item = db.session.get(CasePhoto, photo_id)
    if item is None or item.case_id != case.id:
        abort(404)
    return PHOTOS.send(item.filename, item.content_type, public=False)


def dashboard_tiles(user: User) -> list[Tile]:
    """What waits in the user's region: new cases, overdue ones, the moderation queue."""
    if user.role not in handling.READERS:
        return []
    counts = handling.counts_for(user)
    index = url_for("admin_complaints.index")
    tiles = [Tile("待受理的投诉举报", counts["waiting"], index + "?status=submitted",
                  urgent=counts["waiting"] > 0),
             Tile("逾期未答复", counts["overdue"], index + "?overdue=1",
                  urgent=counts["overdue"] > 0)]
    if counts["held"]:
        tiles.append(Tile("待审核（疑似垃圾信息）", counts["held"], index + "?held=1"))
    return tiles
