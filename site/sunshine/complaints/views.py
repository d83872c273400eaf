"""Public pages: the case form, tracking by code (rating, reopening) and the published Q&A.
The handling statistics (page, CSV, JSON) are in ``stats_views``, on the same blueprints."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    render_template,
    request,
)
from sqlalchemy import select

from sunshine import formguard, pagecache
from sunshine.complaints import services
from sunshine.complaints.forms import CaseForm, RateForm, ReopenForm
from sunshine.complaints.indexing import county_or_above, public_region_code, public_unit_code
from sunshine.complaints.models import PUBLIC_KINDS, Case, Kind, Rating
from sunshine.extensions import csrf, db
from sunshine.forms import set_field_error
from sunshine.pagecache import memo
from sunshine.records.listing import region_arg
from sunshine.records.paging import NumberedPage, paginate_rows
from sunshine.records.plain import copy
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.regions.picker import RegionPicker
from sunshine.tracked.pages import (
    TrackForm,
    TrackingPage,
    guesses_limited,
    refuse_spent_guesses,
    submissions_limited,
    wrong_link,
)
from sunshine.uploads import PhotoRejected
from sunshine.web import page_arg, render_form_page

bp = Blueprint("complaints", __name__, url_prefix="/complaints")
api_bp = Blueprint("complaints_api", __name__, url_prefix="/api/v1/complaints")

#: Where the case happened: at least a county, down to a village.
PICKER = RegionPicker(("city", "county", "town", "village"))

TRACKING = TrackingPage("complaints/track.html", "case",
                        "没有找到这个查询码对应的案件。请核对后重新输入；如果忘记了查询码，可以重新提交。")


@bp.after_request
def _no_store(response: Response) -> Response:
    # Tracking pages show a code and the case's history; the form's answer shows the new code.
    if request.endpoint in ("complaints.new", "complaints.track", "complaints.rate",
                            "complaints.reopen", "complaints.followup_answer"):
        response.headers["Cache-Control"] = "no-store"
    if request.endpoint == "complaints.followup_answer":
        response.headers["Referrer-Policy"] = "no-referrer"  # the link's token
    return response


# --- the form ------------------------------------------------------------------------------


FORM_SALT = "complaint-form-start"


def _target_from_args(form: CaseForm) -> None:
    raw = request.args.get("target", "")
    target_type, _, target_id = raw.partition(":")
    # A target the public may not see is dropped, as though the link had none.
    if target_type in services.TARGET_TYPES and target_type != "unit" \
            and services.target_label(target_type, target_id):
        form.target_type.data, form.target_id.data = target_type, target_id


#: The features whose public objects a case may name (``?target=fund:12``).
TARGET_FEATURES = {"fund": "funds", "project": "projects", "notice": "notices"}


def _form_context(form: CaseForm) -> dict[str, Any]:
    chain = PICKER.chain(form)
    PICKER.fill(form, chain)
    target_label = services.target_label(form.target_type.data or None, form.target_id.data)
    return {"form": form, "picker": PICKER, "chain": chain, "target_label": target_label}


def _blank_form() -> str:
    """The form as a visitor opens it, filled from the link's arguments."""
    form = CaseForm()
    form.started.data = formguard.start_token(FORM_SALT)
    _target_from_args(form)
    if request.args.get("kind") in {k.value for k in PUBLIC_KINDS}:
        form.kind.data = request.args["kind"]
    PICKER.prefill(form, request.args.get("region", ""))
    return render_template("complaints/new.html", **_form_context(form))


@bp.route("/new", methods=["GET", "POST"])
@submissions_limited("COMPLAINT_SUBMIT_LIMIT")
def new() -> Response | tuple[str, int] | str:
    """投诉举报 / 意见建议 / 满意度评价: one form, the kind first, usable without scripts."""
    if request.method == "GET":
        # Kept until the day changes, or what it names (a fund, project or notice) changes.
        target = request.args.get("target", "").partition(":")[0]
        scopes = [(TARGET_FEATURES[target], None)] if target in TARGET_FEATURES else []
        return pagecache.cached(_blank_form, *scopes, args=("target", "kind", "region"),
                                no_store=True)
    form = CaseForm()
    context = _form_context(form)
    if request.form.get("action") == "refine":
        # Choosing a region step by step without scripts: show the next level, no errors yet.
        return render_template("complaints/new.html", **context), 200
    if not form.validate():
        return render_form_page("complaints/new.html", **context)
    try:
        case, code = services.submit_case(_submission(form, context["chain"]))
    except services.CaseError as exc:
        field = {"region": form.county, "target": form.subject}.get(exc.field or "")
        set_field_error(field or getattr(form, exc.field or "", None) or form.body, exc.message)
        return render_form_page("complaints/new.html", **context)
    except PhotoRejected as exc:
        set_field_error(form.photos, exc.message)
        return render_form_page("complaints/new.html", exc.status, **context)
    return render_template("complaints/submitted.html", case=case, code=code), 200


def _submission(form: CaseForm, chain: list[Region]) -> services.Submission:
    suspicion = formguard.suspicion(form.website.data, form.started.data, FORM_SALT)
    named = form.identity.data == "named"
    unit = (form.unit_name.data or "").strip()
    target_type = form.target_type.data or None
    target_id = form.target_id.data or None
    if target_type is None and unit:
        target_type, target_id = "unit", None
    return services.Submission(
        kind=Kind(form.kind.data), category=form.category.data,
        region_code=chain[-1].code if chain else "", subject=form.subject.data or "",
        body=form.body.data or "", named=named,
        name=(form.name.data or "") if named else "",
        phone=(form.phone.data or "") if named else "",
        consent_to_publish=bool(form.consent.data),
        about_local_cadres=bool(form.about_local_cadres.data), target_type=target_type,
        target_id=target_id, target_label=unit,
        photos=services.PHOTOS.read(request.files.getlist("photos")), suspicion=suspicion)


# --- tracking ------------------------------------------------------------------------------


def _case_page(case: Case, status: int = 200, rate_form: RateForm | None = None,
               reopen_form: ReopenForm | None = None, code: str = "") -> tuple[str, int]:
    rate_form = rate_form or RateForm(formdata=None, code=code, prefix="rate")
    reopen_form = reopen_form or ReopenForm(formdata=None, code=code, prefix="reopen")
    return render_template("complaints/track.html", form=TrackForm(formdata=None), case=case,
                           history=services.public_history(case),
                           can_rate=services.can_rate(case), can_reopen=services.can_reopen(case),
                           rate_form=rate_form, reopen_form=reopen_form, code=code), status


@bp.route("/track", methods=["GET", "POST"])
@guesses_limited("COMPLAINT_TRACK_LIMIT", "complaint-track")
def track() -> Response | tuple[str, int]:
    """办理查询: the code shows the status history and public replies, nothing else. The
    empty form is kept (its token is each visitor's own)."""
    if request.method == "GET":
        return TRACKING.empty()
    return TRACKING.lookup(services.find_by_code, lambda case, code: _case_page(case, code=code))


@bp.post("/track/rate")
@guesses_limited("COMPLAINT_TRACK_LIMIT", "complaint-track")
def rate() -> tuple[str, int]:
    """The reporter rates the reply (by code)."""
    form = RateForm(prefix="rate")
    case = services.find_by_code(form.code.data or "")
    if case is None:
        return TRACKING.nothing_found()
    code = (form.code.data or "").strip()
    if not form.validate():
        return _case_page(case, 400, rate_form=form, code=code)
    try:
        services.rate(case, Rating(form.rating.data), form.comment.data or "")
    except services.CaseError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _case_page(case, 400, rate_form=form, code=code)
    flash("感谢您的评价。", "success")
    return _case_page(case, code=code)


@bp.post("/track/reopen")
@guesses_limited("COMPLAINT_TRACK_LIMIT", "complaint-track")
def reopen() -> tuple[str, int]:
    """Dissatisfied: reopen once (by code)."""
    form = ReopenForm(prefix="reopen")
    case = services.find_by_code(form.code.data or "")
    if case is None:
        return TRACKING.nothing_found()
    code = (form.code.data or "").strip()
    if not form.validate():
        return _case_page(case, 400, reopen_form=form, code=code)
    try:
        services.reopen(case, form.reason.data or "")
    except services.CaseError as exc:
        db.session.rollback()
        if exc.field == "reason" and services.can_reopen(case):
            set_field_error(form.reason, exc.message)
        else:
            flash(exc.message, "error")
        return _case_page(case, 400, reopen_form=form, code=code)
    flash("已申请重新办理，办理单位会重新答复。", "success")
    return _case_page(case, code=code)


# --- published Q&A -------------------------------------------------------------------------


@bp.get("/answers/")
def answers() -> Response:
    """群众关心的问题: questions and official replies published with the reporter's consent;
    kept until a case of the region (or above or below it) changes."""
    region = region_arg()
    if region is not None and county_or_above(region.code) != region.code:
        # Published cases are placed by county at most: a town or village means its county.
        region = regions.get_region(county_or_above(region.code))
    shown = region.code if region else None
    return pagecache.cached(lambda: _answers(region), ("complaints", shown),
                            args=("region", "page"))


def _answers(region: Region | None) -> str:
    code = region.code if region else None
    number, per_page = page_arg(), current_app.config["PAGE_SIZE"]
    at = memo.versions([("complaints", code), regions.TREE])  # before any row is read
    page, region_names, cities = memo.remember(
        "complaint-answers", (code, number, per_page), at,
        lambda: _answers_data(code, number, per_page), size=128)
    return render_template("complaints/answers.html", page=page, region=region,
                           cities=cities, region_names=region_names)


def _answers_data(code: str | None, number: int, per_page: int
                  ) -> tuple[NumberedPage[Any], dict[int, str], list[Any]]:
    """A page of the published cases as the columns the list shows (rows, not whole cases
    with their text), their public region names and the city menu: remembered per worker
    until a case of the region or the region tree changes."""
    query = services.published_query(code).with_only_columns(
        Case.id, Case.public_title, Case.kind, Case.category, Case.region_code,
        Case.handling_region_code, Case.published_at)
    rows = paginate_rows(query, number, per_page)
    page = NumberedPage(list(rows.items), rows.page, per_page, rows.total or 0)
    region_names, _ = _public_names(page.items)
    cities = db.session.execute(select(Region.code, Region.name).where(
        Region.level == 2).order_by(Region.code)).all()
    return page, region_names, list(cities)


@bp.get("/answers/<int:case_id>")
def answer(case_id: int) -> Response:
    found = memo.remember("complaint-answer", case_id,
                          memo.versions([("complaints", None), regions.TREE]),
                          lambda: _answer_data(case_id), size=256)
    if found is None:
        abort(404)
    case, region_names, unit_names = found
    return pagecache.cached(lambda: render_template(
        "complaints/answer.html", case=case, region_names=region_names,
        unit_names=unit_names), ("complaints", case.region_code))


def _answer_data(case_id: int) -> tuple[Any, dict[int, str], dict[int, str]] | None:
    """A published case (a plain copy) with its public region and unit names, remembered
    per worker until a case or the region tree changes."""
    case = db.session.scalar(services.published_query().where(Case.id == case_id))
    if case is None:
        return None
    region_names, unit_names = _public_names([case])
    return copy(case), region_names, unit_names


def _public_names(cases: Sequence[Any]) -> tuple[dict[int, str], dict[int, str]]:
    """The county (or higher) of each published case (or row of its id, region_code and
    handling_region_code), never its town or village, and the unit that answered when it is
    a county or above; one query a page."""
    units = {c.id: code for c in cases if (code := public_unit_code(c))}
    wanted = {public_region_code(c) for c in cases} | set(units.values())
    names = dict(db.session.execute(select(Region.code, Region.name).where(
        Region.code.in_(wanted))).tuples().all()) if wanted else {}
    return ({c.id: names.get(public_region_code(c), "") for c in cases},
            {case_id: names.get(code, "") for case_id, code in units.items()})


def sitemap_entries() -> list[tuple[str, datetime | None]]:
    rows = db.session.execute(services.published_query().with_only_columns(
        Case.id, Case.published_at)).tuples()
    return [("/complaints/new", None), ("/complaints/stats", None),
            ("/complaints/answers/", None)] \
        + [(f"/complaints/answers/{case_id}", published) for case_id, published in rows]



@bp.route("/followup/<token>", methods=["GET", "POST"])
@csrf.exempt  # the token in the link is the proof; the reporter arrives from an e-mail
def followup_answer(token: str) -> Response | tuple[str, int]:
    """回访: the reporter says whether the answered problem was resolved (a button, so that a
    mail scanner opening the link answers nothing). The question is kept per link (and the
    answer the mail's link chose), with the link's case as its version: an answer, or any
    step of the case, shows at once; a wrong link is never kept."""
    from sunshine.complaints import followup
    from sunshine.complaints.models import VERDICTS

    chosen = request.values.get("answer", "")
    refuse_spent_guesses()
    if request.method == "GET":
        case_id = followup.linked_case(token)
        state = functools.partial(followup.link_state, token, case_id or 0)
        if case_id is None or followup.link_from(state(), case_id) is None:
            return _wrong_followup_link()
        # Read again after the version: a kept page is never older than its version.
        return pagecache.cached(
            lambda: _followup_page(followup.link_from(state(), case_id), chosen),
            args=("answer",), extra=state, no_store=True,
            headers=(("Referrer-Policy", "no-referrer"),))
    link = followup.link_for(token)
    if link is None:
        return _wrong_followup_link()
    done = link.answer
    error = None
    if done is None:
        try:
            followup.record_answer(followup.case_for(link), chosen)
        except services.CaseError as exc:
            error = exc.message
        else:
            done = VERDICTS[chosen]
    return _followup_page(link, chosen, done=done, error=error), 400 if error else 200


def _wrong_followup_link() -> tuple[str, int]:
    wrong_link()
    return render_template("notify/done.html", title="链接无效", lines=[
        "这个回访链接无效或已失效。"]), 404


def _followup_page(link: Any, chosen: str, done: str | None = None,
                   error: str | None = None) -> str:
    from sunshine.complaints.models import VERDICTS

    done = done if done is not None else link.answer if link is not None else None
    return render_template("complaints/followup.html", answers=VERDICTS, chosen=chosen,
                           done=done, error=error, reopened=done == VERDICTS["unresolved"])
