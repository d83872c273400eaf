"""Back office for requests: the queue of the user's region with its clocks, a request page with
each step (extension, 补正, third-party consultation, the answer of each outcome with its legal
basis and documents, notes) and the logged view of who asked."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope, staff_required
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.forms import BaseForm, set_field_error, show_error
from sunshine.guard import PersonalDataFound
from sunshine.registry import Section, Tile
from sunshine.requests import (
    attachments,
    files,
    handling,
    periods,
    queries,
    queue,
    reviews,
    staging,
    sweep,
)
from sunshine.requests.forms import (
    ANSWER_FORMS,
    MAX_KEPT,
    ActionForm,
    AmendAskForm,
    AppealForm,
    AttachForm,
    ConsultForm,
    ExtendForm,
    NoteForm,
    PublicTextForm,
)
from sunshine.requests.models import AppealKind, AppealResult, InfoRequest, Outcome, Status
from sunshine.tracked.sealing import UNREADABLE, IdentityUnreadable
from sunshine.web import page_arg

bp = Blueprint("admin_requests", __name__, url_prefix="/admin/requests")
READERS = tuple(handling.READERS)
SECTION = Section("依申请公开", "admin_requests.index",
                  frozenset(r.value for r in handling.READERS))

STEP_FORMS: dict[str, type[BaseForm]] = {
    "extend": ExtendForm, "amend": AmendAskForm, "consult": ConsultForm,
    "consulted": ActionForm, "note": NoteForm, "release": ActionForm,
}


def _request(request_id: int) -> InfoRequest:
    info = db.get_or_404(InfoRequest, request_id)
    handling.readable(info, current_user)
    return info


def _filters() -> queue.AdminFilters:
    args = request.args
    status = Status(args["status"]) if args.get("status") in {s.value for s in Status} else None
    return queue.AdminFilters(status=status, overdue=args.get("overdue") == "1",
                                 held=args.get("held") == "1")


@bp.get("/")
@staff_required(*READERS)
def index() -> str:
    """Requests to offices in the user's region, soonest deadline first; never who asked."""
    sweep.run()  # a site without cron still flags late and lapsed requests
    filters = _filters()
    page = db.paginate(queue.admin_query(current_user, filters), page=page_arg(),
                       per_page=30, error_out=False)
    return render_template("requests/admin/index.html", page=page, filters=filters,
                           today=today(), statuses=list(Status),
                           counts=queue.counts_for(current_user),
                           days_left=periods.days_left,
                           often=queries.often_requested(scope=region_scope(
                               current_user, InfoRequest.office_region_code)))


def _forms() -> dict[str, BaseForm]:
    forms: dict[str, BaseForm] = {name: cls(formdata=None, prefix=name)
                                  for name, cls in STEP_FORMS.items()}
    for outcome, cls in ANSWER_FORMS.items():
        forms[f"answer-{outcome.value}"] = cls(formdata=None, prefix=f"answer-{outcome.value}")
    return forms


def _detail(info: InfoRequest, status: int = 200, forms: dict[str, BaseForm] | None = None,
            findings: list[Any] | None = None,
            attach_form: AttachForm | None = None) -> tuple[str, int]:
    user: User = current_user
    attach_form = attach_form or AttachForm(formdata=None, prefix="attach")
    public_form = PublicTextForm(formdata=None, prefix="public", subject=info.public_subject,
                                 body=info.public_body)
    return render_template(
        "requests/admin/detail.html", info=info, forms=forms or _forms(), today=today(),
        handler=user.role in handling.HANDLERS, Status=Status, outcomes=list(Outcome),
        findings=findings, days_left=periods.days_left, public_form=public_form,
        amend_until=periods.amend_window_end(info),
        lapses_on=periods.amend_lapses_on(info), files=files.files_of(info),
        attach_form=attach_form, may_attach=attachments.may_handle(info, user),
        slots=min(files.SLOTS, files.max_files())), status


@bp.get("/<int:request_id>")
@staff_required(*READERS)
def detail(request_id: int) -> tuple[str, int]:
    """One request: its text, clock, full history with notes, and the next steps."""
    return _detail(_request(request_id))


def _run(info: InfoRequest, step: str, form: BaseForm, ready: list[files.Checked]) -> None:
    data = {name: f.data for name, f in form._fields.items() if name != "csrf_token"}
    user = current_user
    if step == "extend":
        handling.extend(info, user, int(data["days"] or 0), data["reason"] or "")
    elif step == "amend":
        handling.ask_amend(info, user, data["text"] or "")
    elif step == "consult":
        handling.start_consult(info, user, data["text"] or "")
    elif step == "consulted":
        handling.end_consult(info, user)
    elif step == "release":
        handling.release(info, user)
    elif step == "note":
        handling.add_note(info, user, data["text"] or "")
    else:
        outcome = Outcome(step.removeprefix("answer-"))
        handling.answer(info, user, handling.Answer(
            outcome=outcome, basis=data["basis"] or "", text=data["text"] or "",
            withheld=data.get("withheld") or "", referred_to=data.get("referred_to") or ""),
            uploads=ready)


def _uploads(form: BaseForm) -> list[files.Upload]:
    """The files chosen on an answer form, each with its 已核对 box."""
    chosen = (files.read_upload(form[f"file_{slot}"].data, bool(form[f"clean_{slot}"].data),
                                f"file_{slot}")
              for slot in range(1, files.SLOTS + 1) if f"file_{slot}" in form)
    return [upload for upload in chosen if upload is not None]


def _session_key() -> str:
    """A random key of this login session (a login starts a new session), to which kept
    files are signed."""
    key = session.get("staged_files")
    if not isinstance(key, str):
        key = session["staged_files"] = secrets.token_hex(16)
    return key


def _files(info: InfoRequest, form: BaseForm) -> tuple[list[files.Checked], bool]:
    """An answer form's files: those kept when it was shown again (less those staff took
    off), then each chosen now, checked by its bytes; and whether one was refused (its error
    at its slot, or above the form for a kept file no longer kept)."""
    ready: list[files.Checked] = []
    refused = False
    for entry in form["kept"]:
        if entry.remove.data:
            continue
        try:
            ready.append(staging.load(current_user, _session_key(), info.id,
                                      entry.ref.data or "", bool(entry.clean.data)))
        except files.AttachmentError as exc:
            if not form["kept"].errors:
                set_field_error(form["kept"], exc.message)
            refused = True
    for upload in _uploads(form):
        try:
            ready.append(files.prepare(upload))
        except files.AttachmentError as exc:
            set_field_error(form[upload.field], exc.message)
            refused = True
    return ready, refused


def _keep(info: InfoRequest, form: BaseForm, ready: list[files.Checked]) -> None:
    """List the files that passed on the form shown again, kept and signed for this user."""
    kept = staging.stage(current_user, _session_key(), info.id, ready[:MAX_KEPT])
    confirmed: dict[str, bool] = {}
    for item in ready:
        confirmed.setdefault(item.stored, item.confirmed)
        if item.field.startswith("file_"):  # its box moves with it to the list
            form[item.field.replace("file_", "clean_")].data = False
    listed = form["kept"]
    listed.entries, listed.last_index = [], -1
    for shown in kept:
        entry = listed.append_entry({"ref": shown.ref, "clean": confirmed[shown.stored]})
        entry.form.file = shown


def _refused(info: InfoRequest, form: BaseForm, forms: dict[str, BaseForm],
             ready: list[files.Checked], findings: list[Any] | None = None) -> tuple[str, int]:
    if "kept" in form:
        _keep(info, form, ready)
    return _detail(info, 400, forms, findings)


@staff_required(*READERS)
def step(request_id: int, step: str) -> Response | tuple[str, int]:
    """One handling step; the service checks the role, the region, the state and the clock.
    An answer form that comes back with an error keeps the files that passed their check."""
    info = _request(request_id)
    cls = STEP_FORMS.get(step) or ANSWER_FORMS[Outcome(step.removeprefix("answer-"))]
    form = cls(prefix=step)
    forms = _forms()
    forms[step] = form
    valid = form.validate()
    if "csrf_token" in form.errors:
        return _detail(info, 400, forms)
    # Files are read only for those who may answer (the service refuses everyone else).
    ready, refused = _files(info, form) if "kept" in form \
        and attachments.may_handle(info, current_user) else ([], False)
    if not valid or refused:
        return _refused(info, form, forms, ready)
    try:
        _run(info, step, form, ready)
    except handling.RequestError as exc:
        db.session.rollback()
        show_error(form, exc)
        return _refused(info, form, forms, ready)
    except PersonalDataFound as exc:
        db.session.rollback()
        first = next(f for name, f in form._fields.items() if name not in ("csrf_token", "basis"))
        set_field_error(first, exc.message)
        return _refused(info, form, forms, ready, exc.findings)
    if ready:
        staging.discard(current_user, ready)
        staging.sweep()
    flash("已保存" if step == "note" else "已办理", "success")
    return redirect(url_for("admin_requests.detail", request_id=info.id))


for _name in [*STEP_FORMS, *(f"answer-{o.value}" for o in Outcome)]:
    bp.add_url_rule(f"/<int:request_id>/{_name}", endpoint="step", view_func=step,
                    methods=["POST"], defaults={"step": _name})


@bp.post("/<int:request_id>/public")
@staff_required(*READERS)
def public_text(request_id: int) -> Response | tuple[str, int]:
    """What the archive shows of the question (with the applicant's consent)."""
    info = _request(request_id)
    form = PublicTextForm(prefix="public")
    if not form.validate():
        return _detail(info, 400)
    try:
        handling.set_public_text(info, current_user, form.subject.data or "", form.body.data or "")
    except (handling.RequestError, PersonalDataFound) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _detail(info, 400)
    flash("已保存", "success")
    return redirect(url_for("admin_requests.detail", request_id=info.id))


@bp.post("/<int:request_id>/applicant")
@staff_required(*READERS)
def applicant(request_id: int) -> tuple[str, int]:
    """Who asked, for delivering the answer; each view is written to the audit log."""
    info = _request(request_id)
    form = ActionForm()
    if not form.validate():
        return _detail(info, 400)
    try:
        identity = handling.view_applicant(info, current_user)
    except handling.RequestError as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return _detail(info)
    except IdentityUnreadable:
        db.session.rollback()
        flash(UNREADABLE, "error")
        return _detail(info, 500)
    if not identity:
        abort(404)
    return render_template("requests/admin/applicant.html", info=info, identity=identity), 200


@bp.route("/appeals", methods=["GET", "POST"])
@staff_required(*READERS)
def appeals() -> Response | tuple[str, int]:
    """行政复议 and 行政诉讼 about the offices of the user's region, for the annual report:
    the request picked from a list (``?q=`` searches it), the office and year from it."""
    form = AppealForm()
    search = request.args.get("q", "")
    choices = reviews.request_choices(current_user, search)
    form.request.choices = [("", "（不涉及具体申请）")] + [(str(c.id), c.label) for c in choices]
    form.office.choices = [("", "（按所选申请）")] + [
        (o.key, o.name) for o in reviews.office_choices(current_user)]
    if request.method == "GET" and request.args.get("request", "").isdigit():
        chosen = next((c for c in choices if str(c.id) == request.args["request"]), None)
        if chosen is not None:
            form.request.data, form.office.data = str(chosen.id), chosen.office_key
            form.year.data = chosen.year
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                reviews.record(current_user, form.office.data or "",
                                     form.request.data or "", form.year.data,
                                     AppealKind(form.kind.data), AppealResult(form.result.data))
            except handling.RequestError as exc:
                db.session.rollback()
                show_error(form, exc, "office")
            else:
                flash("已登记", "success")
                return redirect(url_for("admin_requests.appeals"))
    return render_template("requests/admin/appeals.html", form=form, search=search,
                           appeals=handling.appeals_for(current_user),
                           handler=current_user.role in handling.HANDLERS), status


def dashboard_tiles(user: User) -> list[Tile]:
    """What waits in the user's region: running requests, overdue ones, the review queue."""
    if user.role not in handling.READERS:
        return []
    counts = queue.counts_for(user)
    index = url_for("admin_requests.index")
    tiles = [Tile("办理中的依申请公开", counts["running"], index, urgent=False),
             Tile("依申请公开逾期", counts["overdue"], index + "?overdue=1",
                  urgent=counts["overdue"] > 0)]
    if counts["held"]:
        tiles.append(Tile("依申请公开待审核", counts["held"], index + "?held=1"))
    return tiles
