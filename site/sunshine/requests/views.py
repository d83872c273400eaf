"""Public pages: the request form, tracking by code (and answering a 补正 request), and the
archive with its CSV and Atom feed."""

from __future__ import annotations

from datetime import UTC, datetime
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
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.forms import set_field_error, show_error
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.records.export import csv_text
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.regions.picker import RegionPicker
from sunshine.requests import files, listing, periods, queries, services
from sunshine.requests.forms import AmendForm, RequestForm
from sunshine.requests.models import (
    OFFICE_KIND_LABELS,
    ApplicantType,
    Delivery,
    InfoRequest,
    Outcome,
    Status,
)
from sunshine.tracked.pages import TrackForm, TrackingPage, guesses_limited, submissions_limited
from sunshine.web import page_arg, render_form_page

bp = Blueprint("requests", __name__, url_prefix="/requests")
feeds_bp = Blueprint("requests_feed", __name__)

#: The office's region: the province (nothing chosen) down to a town; a link's region fills
#: the selects down to its county, whose offices answer for its towns' and villages' money and
#: projects (the applicant may still pick a town government).
PICKER = RegionPicker(("city", "county", "town"), first_prompt="请选择（不选即省级）",
                      prompt="请选择（不选即本级）", link_depth=2)
FORM_SALT = "request-form-start"
TRACKING = TrackingPage("requests/track.html", "info",
                        "没有找到这个查询码对应的申请。请核对后重新输入。")


@bp.after_request
def _no_store(response: Response) -> Response:
    # The answer to the form shows the new code; tracking pages show one request's history.
    if request.endpoint in ("requests.new", "requests.track", "requests.amend"):
        response.headers["Cache-Control"] = "no-store"
    return response


# --- the form --------------------------------------------------------------------------------


def _prefill(form: RequestForm) -> None:
    form.about.data = services.clean_about(request.args.get("about", ""))
    PICKER.prefill(form, request.args.get("region", ""))
    if request.args.get("kind") in OFFICE_KIND_LABELS:
        form.office_kind.data = request.args["kind"]


def _office_region(chain: list[Region]) -> str:
    return chain[-1].code if chain else str(current_app.config["PROVINCE_CODE"])


def _form_context(form: RequestForm) -> dict[str, Any]:
    chain = PICKER.chain(form)
    PICKER.fill(form, chain)
    return {"form": form, "picker": PICKER, "chain": chain,
            "about": services.clean_about(form.about.data or "")}


def _blank_form() -> str:
    """The form as a visitor opens it, filled from the link's arguments."""
    form = RequestForm()
    form.started.data = formguard.start_token(FORM_SALT)
    _prefill(form)
    return render_template("requests/new.html", **_form_context(form))


@bp.route("/new", methods=["GET", "POST"])
@submissions_limited("REQUEST_SUBMIT_LIMIT")
def new() -> Response | tuple[str, int]:
    """依申请公开: choose the office by region and kind, say what is wanted, get a code."""
    if request.method == "GET":
        # Kept until the day changes; the CSRF token and the start time are the visitor's own.
        return pagecache.cached(_blank_form, args=("about", "region", "kind"), no_store=True)
    form = RequestForm()
    context = _form_context(form)
    if request.form.get("action") == "refine":
        return render_template("requests/new.html", **context), 200
    if not form.validate():
        return render_form_page("requests/new.html", **context)
    try:
        info, code = services.file_request(_filing(form, context["chain"]))
    except services.RequestError as exc:
        db.session.rollback()
        field = {"office": form.city}.get(exc.field or "")
        set_field_error(field or getattr(form, exc.field or "", None) or form.body, exc.message)
        return render_form_page("requests/new.html", **context)
    return render_template("requests/submitted.html", info=info, code=code), 200


def _filing(form: RequestForm, chain: list[Region]) -> services.Filing:
    return services.Filing(
        office_region_code=_office_region(chain), office_kind=form.office_kind.data or "",
        subject=form.subject.data or "", body=form.body.data or "", name=form.name.data or "",
        phone=form.phone.data or "", email=form.email.data or "",
        address=form.address.data or "", delivery=Delivery(form.delivery.data),
        applicant_type=ApplicantType(form.applicant_type.data),
        consent_to_publish=bool(form.consent.data), about=form.about.data or "",
        suspicion=formguard.suspicion(form.website.data, form.started.data, FORM_SALT))


# --- tracking --------------------------------------------------------------------------------


def _request_page(info: InfoRequest, code: str, status: int = 200,
                  amend_form: AmendForm | None = None) -> tuple[str, int]:
    amend_form = amend_form or AmendForm(formdata=None, code=code, prefix="amend")
    return render_template("requests/track.html", form=TrackForm(formdata=None), info=info,
                           history=services.public_history(info), amend_form=amend_form,
                           today=today(), days_left=periods.days_left,
                           files=files.applicant_links(info)), status


@bp.route("/track", methods=["GET", "POST"])
@guesses_limited("REQUEST_TRACK_LIMIT", "request-track")
def track() -> Response | tuple[str, int]:
    """办理查询: the code shows the history, the clock and the answer."""
    if request.method == "GET":
        return TRACKING.empty()  # kept; the CSRF token is the visitor's own
    return TRACKING.lookup(services.find_by_code, _request_page)


@bp.post("/track/amend")
@guesses_limited("REQUEST_TRACK_LIMIT", "request-track")
def amend() -> tuple[str, int]:
    """The applicant answers a 补正 request (by code)."""
    form = AmendForm(prefix="amend")
    info = services.find_by_code(form.code.data or "")
    if info is None:
        return TRACKING.nothing_found()
    code = (form.code.data or "").strip()
    if not form.validate():
        return _request_page(info, code, 400, form)
    try:
        services.amend(info, form.text.data or "")
    except services.RequestError as exc:
        db.session.rollback()
        show_error(form, exc, "text")
        return _request_page(info, code, 400, form)
    flash("已提交补正，答复期限重新计算。", "success")
    return _request_page(info, code)


# --- the archive -----------------------------------------------------------------------------


def filter_choices() -> dict[str, Any]:
    return {"statuses": list(Status), "outcomes": list(Outcome),
            "cities": memo.remember("request-cities", None, memo.versions([regions.TREE]),
                                    lambda: regions.places((2,)))}


@bp.get("/")
def index() -> Response:
    """依申请公开目录: every request with its office, state and clock; kept until a request
    to an office of the region shown (or above or below it) changes."""
    filters = queries.parse_filters(request.args)
    code = filters.office.region.code if filters.office else (
        filters.region.code if filters.region else None)
    return pagecache.cached(lambda: _index(filters), ("requests", code), args=queries.ARGS)


def _index(filters: queries.Filters) -> str:
    page = listing.page_of(filters, page_arg(), current_app.config["PAGE_SIZE"])
    often = _often(filters.region.code if filters.region else None)
    if filters.office is not None:
        often = [o for o in often if o.office.key == filters.office.key]
    return render_template("requests/index.html", page=page, filters=filters, today=today(),
                           often=often, **filter_choices())


def _often(code: str | None) -> list[queries.OftenAsked]:
    """The pages often asked about in the region's offices, remembered per worker until a
    request of the region changes."""
    return memo.remember(
        "request-often", code, memo.versions([("requests", code)]),
        lambda: queries.often_requested(regions.get_region(code) if code else None))


@bp.get("/<int:request_id>")
def detail(request_id: int) -> Response:
    """One request: office, clock, history and outcome; question and answer if allowed."""
    info = queries.get_public(request_id)
    if info is None:
        abort(404)
    return pagecache.cached(lambda: _detail(info), ("requests", info.office_region_code))


def _detail(info: InfoRequest) -> str:
    title, question = queries.shown_question(info)
    return render_template("requests/detail.html", info=info, title=title, question=question,
                           answer=queries.shown_answer(info),
                           history=services.public_history(info), today=today(),
                           days_left=periods.days_left, files=files.public_links(info))


CSV_HEADER = ["编号", "标题", "机关", "机关区划代码", "收到日期", "答复期限", "状态", "是否逾期",
              "延长天数", "答复结果", "法律依据", "答复日期", "按时答复", "网址"]


def csv_row(info: listing.Listed, root: str, day: Any) -> list[object]:
    basis = info.basis_entry
    return [info.id, info.public_title, info.office.name, info.office_region_code,
            info.received_at.date().isoformat(), info.deadline.isoformat(), info.status.label,
            "是" if info.overdue(day) or info.was_overdue else "否", info.extension_days,
            info.outcome.label if info.outcome else "",
            f"{basis.label}（{basis.article}）" if basis else "",
            info.answered_at.date().isoformat() if info.answered_at else "",
            "" if info.answered_on_time is None else ("是" if info.answered_on_time else "否"),
            f"{root}/requests/{info.id}"]


@bp.get("/export.csv")
@keep(("requests", None), extra=today)
def export() -> Response:
    """The archive (with its filters) as CSV; never who asked."""
    at = memo.versions(listing.SCOPES)  # before any row is read
    filters = queries.parse_filters(request.args)
    root, day = request.url_root.rstrip("/"), today()
    key = (tuple(sorted(request.args.items(multi=True))), root, day)
    body: bytes = memo.remember("request-csv", key, at, lambda: csv_text(
        CSV_HEADER, (csv_row(r, root, day) for r in listing.rows(filters, 10_000, at=at)))
        .encode("utf-8"), size=16)
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=requests.csv"})


@feeds_bp.get("/feeds/requests.xml")
@keep(("requests", None), extra=today)
def feed() -> Response:
    """Atom feed of the archive, newest first; the archive's filters narrow it."""
    filters = queries.parse_filters(request.args)
    rows = listing.rows(filters, 50)
    updated = max((r.updated_at for r in rows), default=datetime(2026, 1, 1, tzinfo=UTC))
    xml = render_template("requests/feed.xml", rows=rows, updated=updated,
                          root=request.url_root.rstrip("/"), self_url=request.url)
    return Response(xml, mimetype="application/atom+xml")


def regions_renamed(region_codes: list[str]) -> None:
    """Pages (kept or remembered) that show these regions' offices are made again."""
    pagecache.changed("requests", *region_codes)


def sitemap_entries() -> list[tuple[str, datetime | None]]:
    """The form, the archive and every public request, dated by its last change (one query
    of two columns; held requests are not public)."""
    rows = db.session.execute(select(InfoRequest.id, InfoRequest.updated_at).where(
        InfoRequest.held.is_(False)).order_by(InfoRequest.id))
    return [("/requests/new", None), ("/requests/track", None), ("/requests/", None),
            ("/requests/compliance", None)] \
        + [(f"/requests/{request_id}", updated) for request_id, updated in rows]
