"""A donor's own pledges (/help/mine) as plain rows: each pledge with the columns of its need and
its line that the page shows, read by one statement built once per process (with the count, two
for a page). A donor's page is their own: it is never kept, so it is cheap in itself."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from sunshine.extensions import db
from sunshine.matching.models import Need, NeedItem, Pledge, PledgeState, show_units

PER_PAGE = 20


@dataclass
class MyPledge:
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
    def status(self) -> PledgeState:
        return PledgeState(self.state)

    @property
    def amount_text(self) -> str:
        return show_units(self.quantity, self.unit, self.money)

    @property
    def confirm_label(self) -> str:
        return {"code": "受助户凭送达单确认码确认",
                "countersign": "另一名工作人员会签确认"}.get(self.confirm_method, "")


@dataclass
class PledgePage:
    """One page of a donor's pledges, with what the pagination macro reads."""

    items: list[MyPledge]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


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
    total = db.session.scalar(count, {"donor": donor_id}) or 0
    items = [MyPledge(*row) for row in db.session.execute(
        rows, {"donor": donor_id, "limit": per_page, "offset": (page - 1) * per_page})]
    return PledgePage(items, page, per_page, total)
