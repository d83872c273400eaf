"""Public pages: /help/ (filters, pages, CSV), /help/<id> with the pledge form, the donor's
own page, the slip confirmation, the thanks wall and the photos. No household detail and no
donor contact is read here, except a donor's own."""

from __future__ import annotations

import functools
import time
from typing import Any

import click
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Select, bindparam, select
from werkzeug.wrappers import Response as BaseResponse

from sunshine import pagecache
from sunshine.accounts.models import Role
from sunshine.extensions import db, limiter, login_manager
from sunshine.forms import set_field_error, show_error
from sunshine.guard import PersonalDataFound
from sunshine.matching import (
    delivery,
    listing,
    needpage,
    pledgebox,
    pledges,
    queries,
    wall,
)
from sunshine.matching import mine as mine_rows
from sunshine.matching.common import MatchingError, is_handler
from sunshine.matching.forms import ConfirmForm, PledgeForm, parse_units
from sunshine.matching.models import (
    CATEGORIES,
    OPEN_STATES,
    PUBLIC_STATES,
    URGENCY,
    Need,
    NeedPhoto,
    Pledge,
    PledgeState,
)
from sunshine.matching.needpage import NeedPage
from sunshine.matching.photos import PHOTOS
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.records.export import csv_download, csv_text
from sunshine.records.listing import code_arg
from sunshine.records.money import AmountError, parse_amount, to_fen
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.web import no_store, page_arg, render_form_page

bp = Blueprint("matching", __name__, url_prefix="/help")

#: Needs that take pledges, and needs the public sees, as stored.
OPEN_VALUES = frozenset(s.value for s in OPEN_STATES)
PUBLIC_VALUES = frozenset(s.value for s in PUBLIC_STATES)


@bp.get("/")
def index() -> Response:
    """爱心帮扶: needs, most urgent and nearest deadline first; kept until a need of the region
    shown (or above or below it) changes."""
    pledges.maybe_expire()
    filters = queries.parse_filters(request.args)
    return pagecache.cached(lambda: _index(filters), ("matching", filters.region),
                            args=("category", "urgency", "state", "region", "page"))


def _index(filters: queries.Filters) -> str:
    at = memo.versions(listing.scopes(filters.region))
    page = listing.list_page(filters, page_arg(), current_app.config["PAGE_SIZE"], at)
    region = db.session.get(Region, filters.region) if filters.region else None
    return render_template("matching/index.html", page=page, filters=filters,
                           categories=CATEGORIES, urgency=URGENCY, region=region,
                           states=queries.STATE_CHOICES,
                           region_menu=listing.region_menu(filters.region, at),
                           cards=page.html)


CSV_HEADER = ["编号", "标题", "类别", "地点", "紧急程度", "截止日期", "状态", "所需", "已认领",
              "还需", "发布日期", "网址"]


def _amounts(need: queries.Card) -> list[str]:
    """Needed, pledged and left: "10 套" for one line, "书包 2 个；文具 2 套" for several."""
    out = []
    for key in ("needed", "pledged", "remaining"):
        if len(need.items) == 1:
            out.append(need.items[0].show(getattr(need.items[0], key)))
        else:
            out.append("；".join(f"{i.name} {i.show(getattr(i, key))}" for i in need.items))
    return out


@bp.get("/export.csv")
@keep(("matching", None), before=pledges.maybe_expire)
def export() -> Response:
    """The list's needs (with its filters) as CSV, written once and remembered per worker until
    a need of the region shown (or the region tree) changes."""
    filters = queries.parse_filters(request.args)
    root = request.url_root.rstrip("/")
    at = memo.versions(listing.scopes(filters.region))  # before any row is read
    key = (filters.category, filters.region, filters.urgency, filters.state, root)
    body = memo.remember("help-csv", key, at, lambda: _csv(filters, root), size=16)
    return csv_download(body, "help.csv")


def _csv(filters: queries.Filters, root: str) -> str:
    rows = queries.with_lines(db.session.execute(queries.card_query(filters).limit(10_000)))
    places = queries.places(n.village_code for n in rows)
    return csv_text(CSV_HEADER, ([
        n.id, n.title, n.category, places[n.village_code], n.urgency_label,
        n.deadline.isoformat(),
        n.status.label, *_amounts(n), n.published_at.date().isoformat() if n.published_at else "",
        root + n.url] for n in rows))


def _detail(need: NeedPage, form: PledgeForm | None = None, status: int = 200
            ) -> tuple[str, int]:
    is_open = need.state in OPEN_VALUES
    donor = current_user.is_authenticated and current_user.role == Role.DONOR
    top, bottom = needpage.public_parts(need)
    return render_template(
        "matching/detail.html", need=need, top=top, bottom=bottom,
        pledge_form=pledgebox.for_donor(need, form) if donor and is_open else None,
        open=is_open), status


@bp.get("/<int:need_id>")
def detail(need_id: int) -> Response:
    """One need: progress, items, the pledge form, the public history. Kept for visitors who
    are not logged in (a donor gets the pledge form with their name) until a need of its
    village changes, for ten minutes at most: pledges on hold run out at any time, and the
    lazy expiry runs only when the page is rendered."""
    pledges.expire_due(need_id=need_id)
    need = needpage.need_page(need_id) or abort(404)
    return pagecache.cached(lambda: _detail(need)[0], ("matching", need.village_code),
                            extra=_ten_minutes, anonymous_only=True)


def _ten_minutes() -> int:
    return int(time.time() // 600)


def _units(form: PledgeForm, need: Need) -> tuple[int, int]:
    """(line id, units or fen) from the form. :raise MatchingError: unreadable input."""
    if need.money:
        try:
            return need.items[0].id, to_fen(parse_amount(form.amount.data))
        except AmountError as exc:
            raise MatchingError(str(exc), "amount") from None
    choice = form.item.data or ""
    item = next((i for i in need.items if str(i.id) == choice), None)
    if item is None and len(need.items) == 1:
        item = need.items[0]
    if item is None:
        raise MatchingError("请选择要认领的物品", "item")
    units = parse_units(form.quantity.data)
    if not units:
        raise MatchingError("请填写认领数量（大于 0 的整数，半角数字）", "quantity")
    return item.id, units


@bp.post("/<int:need_id>/pledge")
@limiter.limit("30 per minute")
def pledge(need_id: int) -> BaseResponse | tuple[str, int]:
    """A registered donor pledges part or all of what is left of one line."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != Role.DONOR:
        abort(403)
    need = queries.get_public(need_id) or abort(404)
    form = PledgeForm()
    status = 400
    if form.validate_on_submit():
        try:
            item_id, units = _units(form, need)
            pledges.pledge(current_user, need.id, item_id, units, pledges.PledgeDetails(
                display_name=form.display_name.data or "", anonymous=bool(form.anonymous.data),
                donor_kind=form.donor_kind.data or "", contact=form.contact.data or "",
                message=form.message.data or ""))
        except MatchingError as exc:
            if exc.status == 404:
                abort(404)
            show_error(form, exc, "quantity")
            status = exc.status
        except PersonalDataFound as exc:
            set_field_error(form.display_name, exc.message)
        else:
            flash("认领成功，谢谢您的爱心！工作人员会联系您安排配送。", "success")
            return redirect(url_for("matching.mine"), 303)
    db.session.expire_all()
    return _detail(needpage.need_page(need.id) or abort(404), form, status)


def _donor_only() -> BaseResponse | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != Role.DONOR:
        abort(403)
    return None


@bp.get("/mine")
def mine() -> BaseResponse:
    """The donor's own pledges, their states, confirmations and thanks."""
    refused = _donor_only()
    if refused is not None:
        return refused
    page = mine_rows.donor_page(current_user.id, page_arg())
    on_hold = any(p.state == PledgeState.ACTIVE for p in page.items)
    items = mine_rows.pledge_items(page.items, generate_csrf() if on_hold else "")
    response = Response(render_template("matching/mine.html", page=page, items=items),
                        mimetype="text/html")
    return no_store(response)  # one donor's pledges and contacts


@bp.post("/mine/<int:pledge_id>/cancel")
def cancel(pledge_id: int) -> BaseResponse:
    """The donor takes back a pledge that has not started delivery."""
    refused = _donor_only()
    if refused is not None:
        return refused
    item = db.get_or_404(Pledge, pledge_id)
    if item.donor_id != current_user.id:
        abort(404)
    try:
        pledges.cancel(current_user, item)
    except MatchingError as exc:
        flash(exc.message, "error")
    else:
        flash("已取消这份认领。", "success")
    return redirect(url_for("matching.mine"), 303)


@bp.route("/confirm", methods=["GET", "POST"])
@limiter.limit("10 per minute; 60 per hour", methods=["POST"])
def confirm() -> Response | tuple[str, int]:
    """The household (or a cadre with them) confirms receipt with the slip's code. The empty
    form is kept (its token is each visitor's own)."""
    if request.method == "GET":
        return pagecache.cached(lambda: render_template(
            "matching/confirm.html", form=ConfirmForm(), done=None))
    form = ConfirmForm()
    done = None
    if form.validate_on_submit():
        done = delivery.confirm_with_code(form.code.data)
        if done is None:
            set_field_error(form.code, "确认码不正确，或者这张送达单已经确认过。")
    return render_form_page("matching/confirm.html", 200 if done else None, form=form, done=done)


@bp.get("/thanks")
def thanks() -> Response:
    """感谢墙: thank-you notes and what was delivered, in total and per region; kept until a
    need of the region (or above or below it) changes."""
    # Without a known region the wall is the province's: no name in the title, no chain.
    found = regions.trail(code_arg() or "")
    current = found[-1] if found else None
    region = current.code if current else None
    return pagecache.cached(lambda: _thanks(found, region), ("matching", region),
                            args=("region", "page"))


def _thanks(found: list[Region], region: str | None) -> str:
    shown = wall.wall(region, page_arg())
    return render_template("matching/thanks.html", total=shown.total, children=shown.children,
                           page=shown.page, donors=shown.donors, chain=found[:-1],
                           region=found[-1] if found else None, places=shown.page.places)


@bp.get("/photos/<int:photo_id>/<kind>")
@keep(("matching", None), before=pledges.maybe_expire)
def photo(photo_id: int, kind: str) -> Response:
    """A photo (``full`` or ``thumb``) of a public need; handling staff see the others."""
    found = db.session.execute(_photo_statement(), {"photo": photo_id}).first()
    if kind not in ("full", "thumb") or found is None:
        abort(404)
    filename, thumbnail, content_type, state, village_code = found
    public = state in PUBLIC_VALUES
    if not public and not is_handler(current_user, village_code):
        abort(404)
    return PHOTOS.send(filename if kind == "full" else thumbnail, content_type, public=public)


@functools.cache
def _photo_statement() -> Select[Any]:
    """A photo's files and its need's state and village, built once (bound parameters)."""
    return (select(NeedPhoto.filename, NeedPhoto.thumbnail, NeedPhoto.content_type, Need.state,
                   Need.village_code)
            .join(Need, Need.id == NeedPhoto.need_id).where(NeedPhoto.id == bindparam("photo")))


@bp.cli.command("expire")
def expire_command() -> None:
    """Expire pledges past their hold and open needs past their deadline (run from cron)."""
    counts = pledges.expire_due()
    click.echo(f"过期认领 {counts['pledges']} 份，过期需求 {counts['needs']} 项")
