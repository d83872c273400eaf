"""Public pages: /notices/ (open first, filters, CSV), a notice with its countdown, list,
objection form and outcome, the A4 print page with a QR code, and the Atom feed."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any

import segno
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup

from sunshine import formguard, pagecache
from sunshine.clock import china_date
from sunshine.complaints import services as complaints
from sunshine.extensions import db, limiter
from sunshine.forms import show_error
from sunshine.markup import stored_html
from sunshine.notices import objections, periods, public, queries
from sunshine.notices.forms import ObjectionForm
from sunshine.notices.models import REASON_HEADINGS, STATE_BADGES, Notice, NoticeKind, NoticeState
from sunshine.notices.public import Card
from sunshine.notices.services import NoticeError
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.records.export import csv_download, csv_text
from sunshine.records.listing import code_arg
from sunshine.regions import services as regions
from sunshine.regions.services import Place
from sunshine.web import page_arg, whole_number

bp = Blueprint("notices", __name__, url_prefix="/notices")
feeds_bp = Blueprint("notices_feed", __name__)

#: Entries on one printed A4 sheet (the village board's page).
PRINT_ROWS = 40
#: Notices in the list's CSV at most.
EXPORT_ROWS = 10_000


def _submit_limit() -> str:
    return str(current_app.config["COMPLAINT_SUBMIT_LIMIT"])


@bp.after_request
def _no_store(response: Response) -> Response:
    # The answer to an objection shows its tracking code once.
    if request.endpoint == "notices.objection":
        response.headers["Cache-Control"] = "no-store"
    return response


FORM_SALT = "notice-objection-start"


def _suspicion(form: ObjectionForm) -> str | None:
    """The complaints form's anti-abuse checks: suspects get a code and wait for a person."""
    return formguard.suspicion(form.website.data, form.started.data, FORM_SALT)


def filter_choices() -> dict[str, Any]:
    """The filters' choices: kinds, states, and each city with its counties (remembered until
    the region tree changes)."""
    return {"kinds": list(NoticeKind), "states": list(NoticeState),
            "cities": memo.remember("notice-cities", None, memo.versions([regions.TREE]),
                                    _cities)}


def _cities() -> list[tuple[Place, list[Place]]]:
    both = regions.places((2, 3))
    return [(c, [r for r in both if r.parent_code == c.code]) for c in both if c.level == 2]


def listed(notices: list[Card], now: datetime) -> list[tuple[Card, NoticeState, str, int]]:
    """The cards of ``notice_cards``: each notice with its state, badge and days left."""
    found = []
    for notice in notices:
        state = periods.state_of(notice, now)
        found.append((notice, state, STATE_BADGES[state], periods.days_left(notice, now)))
    return found


def notice_day() -> date:
    """The China date of the notices' clock: a period opens and ends with it."""
    return china_date(periods.now())


@bp.get("/")
def index() -> Response:
    """公示公告: open notices first; filters by kind, region and state. Kept until a notice of
    the region shown (or above or below it) changes."""
    filters = queries.parse_filters(request.args)
    code = filters.region.code if filters.region else None
    return pagecache.cached(lambda: _index(filters), ("notices", code), ("complaints", code),
                            args=("kind", "state", "region", "page"), extra=notice_day)


def _index(filters: queries.Filters) -> str:
    now = periods.now()
    page = public.cards_page(filters, page_arg(), current_app.config["PAGE_SIZE"], now)
    return render_template("notices/index.html", page=page, filters=filters,
                           cards=listed(page.items, now), **filter_choices())


def _public(notice_id: int) -> Notice:
    notice = queries.get_public(notice_id)
    if notice is None:
        abort(404)
    return notice


def _entry_choices(notice: Notice | public.Shown) -> dict[str, str]:
    return {"": "整个公示", **{str(e.id): f"第 {e.position} 项：{e.label}"
                             for e in notice.entries}}


def _detail(notice: public.Shown, form: ObjectionForm | None = None, status: int = 200,
            ) -> tuple[str, int]:
    now = periods.now()
    state = periods.state_of(notice, now)
    objectable = state is NoticeState.OPEN and notice.kind is not NoticeKind.RESULT
    if form is None and objectable:  # the page shows the form only then
        form = ObjectionForm(formdata=None)
        form.started.data = formguard.start_token(FORM_SALT)
        wanted = request.args.get("entry", "")
        form.entry.data = str(whole_number(wanted, 0, highest=10**12) or "")
    if form is not None:
        form.entry.choices = _entry_choices(notice)
    return render_template(
        "notices/detail.html", notice=notice, state=state, badge=STATE_BADGES[state],
        form=form, days_left=periods.days_left(notice, now),
        days_until=periods.days_until_start(notice, now), body=stored_html(notice.body_html),
        reason_heading=REASON_HEADINGS.get((notice.original or notice).kind, "情况"),
        objections=notice.rulings, original=notice.original, result=notice.result,
        ancestors=notice.ancestors), status


def _shown(notice_id: int, region: str) -> public.Shown:
    return public.shown(notice_id, region) or abort(404)


@bp.get("/<int:notice_id>")
def detail(notice_id: int) -> Response:
    """One notice: the period and days left, the list, objections and the outcome; kept until
    a notice or a case of its region changes, or the notices' day (the objection form's
    tokens are each visitor's own)."""
    region = queries.public_region(notice_id) or abort(404)
    return pagecache.cached(lambda: _detail(_shown(notice_id, region))[0], ("notices", region),
                            ("complaints", region), args=("entry",), extra=notice_day)


@bp.post("/<int:notice_id>/objection")
@limiter.limit(_submit_limit)
def objection(notice_id: int) -> tuple[str, int]:
    """File an objection (异议) while the notice is open; answers with a tracking code."""
    notice = _public(notice_id)
    form = ObjectionForm()
    form.entry.choices = _entry_choices(notice)
    if not form.validate():
        return _detail(_shown(notice.id, notice.region_code), form, 400)
    named = form.identity.data == "named"
    entry = whole_number(form.entry.data, 0, highest=10**9) or None
    try:
        case, code = objections.file_objection(
            notice, form.body.data or "", entry, named=named,
            name=(form.name.data or "") if named else "",
            phone=(form.phone.data or "") if named else "", suspicion=_suspicion(form))
    except (NoticeError, complaints.CaseError) as exc:
        db.session.rollback()
        show_error(form, exc, "body")
        return _detail(_shown(notice.id, notice.region_code), form, 400)
    return render_template("notices/objected.html", notice=notice, case=case, code=code), 200


def qr_svg(notice_id: int) -> Markup:
    """The notice's public address as a QR code (inline SVG), for the paper on the board."""
    return _qr(url_for("notices.detail", notice_id=notice_id, _external=True))


@functools.lru_cache(maxsize=256)
def _qr(url: str) -> Markup:
    """A QR code is made once per worker for each address (it costs a page a millisecond)."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=4, border=4, svgclass="qr", omitsize=True,
                                  title=f"二维码：{url}"))


def sheets(items: list[Any], size: int = PRINT_ROWS) -> list[list[Any]]:
    """The list cut into printed pages of ``size`` (one empty page when there is nothing)."""
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


@bp.get("/<int:notice_id>/print")
def print_page(notice_id: int) -> Response:
    """The A4 page for the village board: large type, the masked list 40 to a page, the
    period, how to object by phone, and a QR code back to the online notice; kept as the
    notice's page is."""
    region = queries.public_region(notice_id) or abort(404)
    return pagecache.cached(lambda: _print_page(_shown(notice_id, region)), ("notices", region),
                            ("complaints", region), extra=notice_day)


def _print_page(notice: public.Shown) -> str:
    now = periods.now()
    original = notice.original
    return render_template(
        "notices/print.html", notice=notice, state=periods.state_of(notice, now),
        pages=sheets(notice.entries), qr=qr_svg(notice.id), body=stored_html(notice.body_html),
        reason_heading=REASON_HEADINGS.get((original or notice).kind, "情况"),
        url=url_for("notices.detail", notice_id=notice.id, _external=True),
        objections=notice.rulings if original else [], original=original)


# --- CSV -----------------------------------------------------------------------------------




@bp.get("/export.csv")
@keep(("notices", None), ("complaints", None), extra=notice_day)
def export() -> Response:
    """The list (with its filters) as CSV."""
    filters = queries.parse_filters(request.args)
    now = periods.now()
    rows = public.cards_page(filters, 1, EXPORT_ROWS, now).items
    root = request.url_root.rstrip("/")
    return csv_download(csv_text(
        ["编号", "标题", "类型", "地区代码", "地区", "开始日期", "结束日期", "状态", "名单条数",
         "收到异议", "已处理异议", "网址"],
        ([n.id, n.title, n.kind.label, n.region_code, n.region.name, n.start_on.isoformat(),
          n.end_on.isoformat(), periods.state_of(n, now).label, n.entries,
          n.objections[0], n.objections[1], root + n.url] for n in rows)), "notices.csv")


@bp.get("/<int:notice_id>/export.csv")
@keep(("notices", None), extra=notice_day)
def export_entries(notice_id: int) -> Response:
    """A notice's list as CSV: masked names only, like the page."""
    notice = _shown(notice_id, queries.public_region(notice_id) or abort(404))
    heading = REASON_HEADINGS.get((notice.original or notice).kind, "情况")
    return csv_download(csv_text(["序号", "户主姓名", "村代码", "所在村", "家庭人口", heading],
                                 ([e.position, e.masked_name, e.village_code, e.village.name,
                                   e.household_size, e.reason] for e in notice.entries)),
                        f"notice-{notice.id}.csv")


# --- the Atom feed -------------------------------------------------------------------------


@feeds_bp.get("/feeds/notices.xml")
@keep(("notices", None), extra=notice_day)
def feed() -> Response:
    """Atom feed of notices, newest first; ?region=<code> narrows it to a region (with the
    regions above it, whose notices apply there too)."""
    now = periods.now()
    items = public.feed_items(code_arg())
    entries = [{"notice": i.notice, "state": periods.state_of(i.notice, now),
                "updated": i.updated, "summary": i.summary} for i in items]
    updated = max((i.updated for i in items), default=datetime(2026, 1, 1, tzinfo=UTC))
    xml = render_template("notices/feed.xml", entries=entries, updated=updated,
                          root=request.url_root.rstrip("/"), self_url=request.url)
    return Response(xml, mimetype="application/atom+xml")


def home_notices() -> dict[str, Any]:
    """The home page's open notices (CONTRACT: ``/`` shows them), as ``notice_cards``."""
    now = periods.now()
    return {"open_notices": listed(public.open_cards(5, now), now)}
