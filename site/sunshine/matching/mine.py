"""A donor's own pledges (/help/mine) as plain rows: each pledge with the columns of its need and
its line that the page shows, read by one statement built once per process (the count only past
the first page). A donor's page is their own: it is never kept, so it is cheap in itself, and
its list is written in Python with exactly the HTML of the template's loop."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import Select, bindparam, func, select

from sunshine.extensions import db
from sunshine.matching.models import (
    Need,
    NeedItem,
    Pledge,
    PledgeRowFigures,
    PledgeState,
)
from sunshine.records.paging import PageNumbers
from sunshine.templating import local_time

PER_PAGE = 20


@dataclass
class MyPledge(PledgeRowFigures):
    """One of the donor's pledges, with its need's title, state and thanks and its line."""

    id: int
    state: str
    quantity: int
    display_name: str
    created_at: datetime
    hold_until: datetime
    delivered_at: datetime | None
    confirmed_at: datetime | None
    confirm_method: str
    end_reason: str
    need_id: int
    need_title: str
    need_state: str
    thanks_note: str
    item_name: str
    unit: str
    money: bool

    @property
    def confirm_label(self) -> str:
        return {"code": "受助户凭送达单确认码确认",
                "countersign": "另一名工作人员会签确认"}.get(self.confirm_method, "")


@dataclass
class PledgePage(PageNumbers):
    """One page of a donor's pledges, with what the pagination macro reads."""

    items: list[MyPledge]
    page: int
    per_page: int
    total: int


@functools.cache
def _statements() -> tuple[Select[Any], Select[Any]]:
    """The page's rows, newest first, and their count; built once (building a statement
    costs more than running it), the donor and the page as parameters."""
    rows = (select(Pledge.id, Pledge.state, Pledge.quantity, Pledge.display_name,
                   Pledge.created_at, Pledge.hold_until, Pledge.delivered_at,
                   Pledge.confirmed_at, Pledge.confirm_method, Pledge.end_reason,
                   Need.id, Need.title, Need.state, Need.thanks_note,
                   NeedItem.name, NeedItem.unit, NeedItem.money)
            .join(Need, Need.id == Pledge.need_id).join(NeedItem, NeedItem.id == Pledge.item_id)
            .where(Pledge.donor_id == bindparam("donor")).order_by(Pledge.id.desc())
            .limit(bindparam("limit")).offset(bindparam("offset")))
    count = select(func.count()).select_from(Pledge).where(Pledge.donor_id == bindparam("donor"))
    return rows, count


def donor_page(donor_id: int, page: int, per_page: int = PER_PAGE) -> PledgePage:
    """The donor's pledges on page ``page`` (a page past the end is empty)."""
    rows, count = _statements()
    # Plain rows on the session's connection: the ORM's part of ``session.execute`` costs a
    # third of a small statement and loads no object here.
    connection = db.session.connection()
    items = [MyPledge(*row) for row in connection.execute(
        rows, {"donor": donor_id, "limit": per_page, "offset": (page - 1) * per_page})]
    if page == 1 and len(items) < per_page:
        total = len(items)  # all of them: most donors have one page
    else:
        total = connection.execute(count, {"donor": donor_id}).scalar() or 0
    return PledgePage(items, page, per_page, total)


#: Needs whose page is not public (the title is shown without a link).
HIDDEN = ("draft", "pending", "withdrawn")


def pledge_items(items: list[MyPledge], csrf: str) -> Markup:
    """The donor's pledges as the page lists them: what, under which name, when, its state,
    the household's thanks once confirmed, and the cancel button while it is on hold."""
    out = []
    for p in items:
        title = escape(p.need_title)
        heading = title if p.need_state in HIDDEN else f'<a href="/help/{p.need_id}">{title}</a>'
        reason = f"（{escape(p.end_reason)}）" if p.end_reason else ""
        active = p.state == PledgeState.ACTIVE
        facts = []
        if active:
            facts.append(f"<div><dt>保留到</dt><dd>{local_time(p.hold_until)}</dd></div>")
        if p.delivered_at:
            facts.append(f"<div><dt>送达时间</dt><dd>{local_time(p.delivered_at)}</dd></div>")
        if p.confirmed_at:
            facts.append(f"<div><dt>送达确认</dt><dd>{local_time(p.confirmed_at)}，"
                         f"{p.confirm_label}</dd></div>")
        out.append(
            f'  <li class="my-pledge">\n    <h2>{heading}</h2>\n    <dl class="need-facts">\n'
            f"      <div><dt>认领</dt><dd>{escape(p.item_name)} {escape(p.amount_text)}"
            f"（认领编号 {p.id}）</dd></div>\n"
            f"      <div><dt>公开名称</dt><dd>{escape(p.display_name)}</dd></div>\n"
            f"      <div><dt>认领时间</dt><dd>{local_time(p.created_at)}</dd></div>\n"
            f"      <div><dt>状态</dt><dd><strong>{p.status.label}</strong>{reason}</dd></div>\n"
            f'{"".join(facts)}    </dl>\n')
        if p.thanks_note and p.state == PledgeState.CONFIRMED:
            out.append('    <div class="thanks-note"><h3>受助户的感谢</h3><blockquote>'
                       f'<p class="pre-line">{escape(p.thanks_note)}</p></blockquote></div>\n')
        if active:
            action = url_for("matching.cancel", pledge_id=p.id)
            out.append(f'    <form method="post" action="{action}">\n'
                       f'      <input type="hidden" name="csrf_token" value="{csrf}">\n'
                       '      <button type="submit">取消这份认领</button>\n    </form>\n')
        out.append("  </li>\n")
    return Markup("".join(out))
