"""How much one donor may hold at once, and donors whose pledges keep lapsing.

A pledge holds its share of a need for ``PLEDGE_HOLD_DAYS`` before delivery starts; a free
account that pledged everything and let it lapse, again and again, would keep every household
waiting. So one donor's active pledges (held, delivery not started) are capped in number
(``PLEDGE_MAX_ACTIVE``) and in value (``PLEDGE_MAX_ACTIVE_YUAN``: money as pledged, goods at the
need's estimated price); a donor with ``PLEDGE_LAPSES_FLAG`` pledges lapsed within
``PLEDGE_LAPSES_DAYS`` is flagged in the back office and holds at most
``PLEDGE_FLAGGED_MAX_ACTIVE`` at a time. Delivery under way does not count: the donor is
giving, not holding.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import ColumnElement, func, select

from sunshine.accounts.models import User
from sunshine.extensions import db
from sunshine.matching.common import MatchingError
from sunshine.matching.models import Need, NeedItem, Pledge, PledgeState
from sunshine.records.money import from_fen, to_fen

#: The end reason of a pledge whose hold ran out before delivery started.
LAPSED = "保留期已过，未开始配送"


def _setting(name: str) -> int:
    return int(current_app.config[name])


def value_fen(item: NeedItem, quantity: int) -> int:
    """What ``quantity`` of a line is worth: fen for money, goods at their estimated price
    (0 when the need gives none)."""
    if item.money:
        return quantity
    return to_fen(item.price * quantity) if item.price is not None else 0


def lapsed_counts(donor_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Pledges of each donor that lapsed within ``PLEDGE_LAPSES_DAYS``, in one query."""
    ids = sorted(set(donor_ids))
    if not ids:
        return {}
    since = now - timedelta(days=_setting("PLEDGE_LAPSES_DAYS"))
    return dict(db.session.execute(
        select(Pledge.donor_id, func.count()).where(
            Pledge.donor_id.in_(ids), Pledge.state == PledgeState.EXPIRED.value,
            Pledge.end_reason == LAPSED, Pledge.ended_at >= since)
        .group_by(Pledge.donor_id)).tuples().all())


def flagged(donor_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """The donors among ``donor_ids`` whose pledges keep lapsing, with how many lapsed."""
    threshold = _setting("PLEDGE_LAPSES_FLAG")
    return {donor: n for donor, n in lapsed_counts(donor_ids, now).items() if n >= threshold}


def flagged_in(scope: ColumnElement[bool], now: datetime) -> list[tuple[User, int]]:
    """Flagged donors with a lapsed pledge on a need matching ``scope`` (the staff member's
    region), with how many of their pledges lapsed anywhere."""
    since = now - timedelta(days=_setting("PLEDGE_LAPSES_DAYS"))
    ids = db.session.execute(select(Pledge.donor_id).join(Need, Need.id == Pledge.need_id).where(
        scope, Pledge.state == PledgeState.EXPIRED.value, Pledge.end_reason == LAPSED,
        Pledge.ended_at >= since).distinct()).scalars()
    found = flagged(ids, now)
    if not found:
        return []
    users = db.session.execute(select(User).where(User.id.in_(found)).order_by(User.id)).scalars()
    return [(user, found[user.id]) for user in users]


def check_donor(donor: User, item: NeedItem, quantity: int, now: datetime) -> None:
    """Refuse a pledge that would take the donor past the caps. Runs in the pledge's
    transaction after the donor's row is locked, so two pledges at once cannot both pass.

    :raise MatchingError: (409) too many active pledges, or too much value held.
    """
    db.session.execute(select(User.id).where(User.id == donor.id).with_for_update())
    held = list(db.session.execute(
        select(Pledge.quantity, NeedItem).join(NeedItem, NeedItem.id == Pledge.item_id)
        .where(Pledge.donor_id == donor.id, Pledge.state == PledgeState.ACTIVE.value,
               Pledge.hold_until > now)).tuples())
    limit = _setting("PLEDGE_MAX_ACTIVE")
    if flagged([donor.id], now):
        limit = min(limit, _setting("PLEDGE_FLAGGED_MAX_ACTIVE"))
    if len(held) >= limit:
        raise MatchingError(
            f"您已有 {len(held)} 份认领在保留中，同时最多保留 {limit} 份。"
            "请等已认领的物品开始配送，或在“我的认领”中取消不再需要的，再认领新的需求。",
            "quantity", 409)
    cap = to_fen(Decimal(_setting("PLEDGE_MAX_ACTIVE_YUAN")))
    total = sum(value_fen(line, units) for units, line in held)
    if total + value_fen(item, quantity) > cap:
        left = max(0, cap - total)
        raise MatchingError(
            f"保留中的认领合计不能超过 {from_fen(cap):,} 元，您还可以认领 {from_fen(left):,} 元"
            "以内的物品或金额。开始配送后的认领不计在内。", "quantity", 409)
