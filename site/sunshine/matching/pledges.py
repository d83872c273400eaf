"""Pledges: made, cancelled, expired, delivered and confirmed without ever over-fulfilling.

Every change of a need's pledges is one transaction that starts by bumping ``Need.lock_seq``:
on PostgreSQL that locks the need's row, on SQLite it takes the database's write lock as the
transaction's first statement (so the busy timeout applies and no stale read snapshot has to be
upgraded; see docs/decisions.md). A pledge then draws on its line with one conditional UPDATE,
``pledged = pledged + n WHERE pledged + n <= needed``, and gives up when no row changed; the
CHECK constraint on ``matching_item`` stands behind it. Releases are conditional on the pledge's
state, so a pledge is released once, whoever tries.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, or_, select, update

from sunshine import clock, pagecache
from sunshine.accounts.models import Role, User
from sunshine.audit import record
from sunshine.database import rowcount, utcnow
from sunshine.extensions import db
from sunshine.guard import check_publishable
from sunshine.matching import limits
from sunshine.matching.common import (
    MatchingError,
    PermissionDenied,
    add_event,
    check_handler,
    hold_until,
)
from sunshine.matching.models import (
    ANONYMOUS,
    DONOR_KINDS,
    HOLDING_STATES,
    LIVE_STATES,
    OPEN_STATES,
    STARTED_STATES,
    Need,
    NeedItem,
    NeedState,
    Pledge,
    PledgeState,
)

SOLD_OUT = "已认领完：这项需求已经全部有人认领了，谢谢您的爱心。"
_NO_SYNC = {"synchronize_session": False}


@dataclass
class PledgeDetails:
    display_name: str = ""
    anonymous: bool = False
    donor_kind: str = "person"
    contact: str = ""
    message: str = ""


# --- the building blocks, each inside the caller's transaction ---------------------------------


def lock_need(need_id: int) -> None:
    """The first statement of every change to a need's pledges (see the module docstring)."""
    db.session.execute(update(Need).where(Need.id == need_id)
                       .values(lock_seq=Need.lock_seq + 1).execution_options(**_NO_SYNC))


def release(pledge: Pledge, from_states: tuple[PledgeState, ...], to_state: PledgeState,
             now: datetime, reason: str) -> bool:
    """Move a holding pledge out of holding and give its share back to its line, once."""
    changed = rowcount(db.session.execute(
        update(Pledge).where(Pledge.id == pledge.id, Pledge.state.in_(from_states))
        .values(state=to_state.value, ended_at=now, end_reason=reason[:200])
        .execution_options(**_NO_SYNC)))
    if not changed:
        return False
    freed = rowcount(db.session.execute(
        update(NeedItem).where(NeedItem.id == pledge.item_id, NeedItem.pledged >= pledge.quantity)
        .values(pledged=NeedItem.pledged - pledge.quantity).execution_options(**_NO_SYNC)))
    if freed != 1:  # pragma: no cover  (the counter and the pledges disagree: never commit that)
        raise RuntimeError(f"line {pledge.item_id} holds less than pledge {pledge.id}")
    return True


def _expire_due_of(need_id: int, now: datetime) -> int:
    due = list(db.session.execute(select(Pledge).where(
        Pledge.need_id == need_id, Pledge.state == PledgeState.ACTIVE.value,
        Pledge.hold_until <= now)).scalars())
    released = [p for p in due if release(p, (PledgeState.ACTIVE,), PledgeState.EXPIRED, now,
                                           limits.LAPSED)]
    if released:
        add_event(need_id, f"{len(released)} 份认领超过保留期未开始配送，已重新开放认领", now)
    return len(released)


def settle(need_id: int, now: datetime | None = None) -> str | None:
    """Set a live need's state from its lines and pledges; a change goes into the history."""
    state = db.session.scalar(select(Need.state).where(Need.id == need_id))
    if state not in LIVE_STATES:
        return state
    needed, pledged = db.session.execute(select(
        func.coalesce(func.sum(NeedItem.needed), 0), func.coalesce(func.sum(NeedItem.pledged), 0))
        .where(NeedItem.need_id == need_id)).one()
    by_state = dict(db.session.execute(select(Pledge.state, func.sum(Pledge.quantity)).where(
        Pledge.need_id == need_id).group_by(Pledge.state)).tuples().all())
    started = any(by_state.get(s.value) for s in STARTED_STATES)
    if needed and pledged == needed:
        if by_state.get(PledgeState.CONFIRMED.value, 0) == needed:
            new = NeedState.DELIVERED
        else:
            new = NeedState.DELIVERING if started else NeedState.PLEDGED
    else:
        new = NeedState.PARTLY if pledged else NeedState.PUBLISHED
    if new.value != state:
        db.session.execute(update(Need).where(Need.id == need_id).values(state=new.value)
                           .execution_options(**_NO_SYNC))
        add_event(need_id, f"状态变为「{new.label}」", now)
    return new.value


def _village(need_id: int) -> str:
    return db.session.scalar(select(Need.village_code).where(Need.id == need_id)) or ""


# --- donors ----------------------------------------------------------------------------------


def _check_details(details: PledgeDetails) -> str:
    """The public name of the pledge. :raise MatchingError: a field is too long or unknown."""
    if details.donor_kind not in DONOR_KINDS:
        raise MatchingError("请选择以个人还是单位名义认领", "donor_kind")
    name = details.display_name.strip()
    if len(name) > 64:
        raise MatchingError("公开显示名称不能超过 64 个字符", "display_name")
    if len(details.contact) > 100:
        raise MatchingError("联系方式不能超过 100 个字符", "contact")
    if len(details.message) > 500:
        raise MatchingError("留言不能超过 500 个字符", "message")
    if details.anonymous or not name:
        return ANONYMOUS
    check_publishable(name)
    return name


def pledge(donor: User, need_id: int, item_id: int, quantity: int, details: PledgeDetails,
           now: datetime | None = None) -> Pledge:
    """Pledge ``quantity`` units (fen for money) of one line of an open need.

    :raise PermissionDenied: not a donor account.
    :raise MatchingError: (409) already fully pledged, more than is left, closed or past its
        deadline, or the donor holds as much as one donor may (``limits``); (400) a bad
        quantity or detail.
    :raise PersonalDataFound: the public name holds an ID, mobile or card number.
    """
    if getattr(donor, "role", None) != Role.DONOR:
        raise PermissionDenied("only donors pledge")
    if not isinstance(quantity, int) or quantity <= 0:
        raise MatchingError("请填写认领数量（大于 0 的整数）", "quantity")
    display_name = _check_details(details)
    now = now or utcnow()
    try:
        lock_need(need_id)
        if _expire_due_of(need_id, now):
            settle(need_id, now)
        row = db.session.execute(select(Need.state, Need.deadline, Need.village_code)
                                 .where(Need.id == need_id)).one_or_none()
        if row is None:
            raise MatchingError("没有这个需求", status=404)
        if row.state not in [s.value for s in OPEN_STATES]:
            if row.state in (NeedState.PLEDGED, NeedState.DELIVERING, NeedState.DELIVERED):
                raise MatchingError(SOLD_OUT, "quantity", 409)
            raise MatchingError("这项需求目前不接受认领", "quantity", 409)
        if row.deadline < clock.today(now):
            raise MatchingError("这项需求已过截止日期，不再接受认领", "quantity", 409)
        item = db.session.execute(select(NeedItem).where(
            NeedItem.id == item_id, NeedItem.need_id == need_id)).scalar_one_or_none()
        if item is None:
            raise MatchingError("请选择要认领的物品", "item")
        limits.check_donor(donor, item, quantity, now)
        drawn = rowcount(db.session.execute(
            update(NeedItem).where(NeedItem.id == item_id, NeedItem.need_id == need_id,
                                   NeedItem.pledged + quantity <= NeedItem.needed)
            .values(pledged=NeedItem.pledged + quantity).execution_options(**_NO_SYNC)))
        if not drawn:
            db.session.refresh(item)
            left = item.needed - item.pledged
            if left <= 0:
                raise MatchingError(SOLD_OUT, "quantity", 409)
            raise MatchingError(f"这一项只剩 {item.show(left)} 可以认领，请减少数量",
                                "quantity", 409)
        made = Pledge(need_id=need_id, item_id=item_id, donor_id=donor.id, quantity=quantity,
                      state=PledgeState.ACTIVE.value, display_name=display_name,
                      donor_kind=details.donor_kind, contact=details.contact.strip(),
                      message=details.message.strip(), created_at=now, hold_until=hold_until(now))
        db.session.add(made)
        db.session.flush()
        add_event(need_id, f"{display_name}认领了 {item.name} {item.show(quantity)}", now)
        settle(need_id, now)
        pagecache.changed("matching", row.village_code)
        record("matching.pledge", donor, "matching_need", need_id, row.village_code,
               f"认领 {item.name} {item.show(quantity)}（认领编号 {made.id}）")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return made


def cancel(actor: User, pledge_row: Pledge, reason: str = "", now: datetime | None = None) -> None:
    """The donor cancels an active pledge; handling staff may also cancel one in delivery
    (with a reason, e.g. the donor cannot be reached). The share is free again at once.

    :raise MatchingError: (409) delivery started (for donors) or the pledge already ended.
    """
    now = now or utcnow()
    village = _village(pledge_row.need_id)
    staff = actor.role in (Role.ADMIN, Role.STAFF)
    if staff:
        check_handler(actor, village)
        if not reason.strip():
            raise MatchingError("请填写取消原因", "reason")
        allowed: tuple[PledgeState, ...] = (PledgeState.ACTIVE, PledgeState.DELIVERING)
    elif pledge_row.donor_id == actor.id:
        allowed = (PledgeState.ACTIVE,)
    else:
        raise PermissionDenied("not this donor's pledge")
    try:
        lock_need(pledge_row.need_id)
        text = reason.strip()[:200] or "认领人取消"
        if not release(pledge_row, allowed, PledgeState.CANCELLED, now, text):
            raise MatchingError("这份认领已开始配送或已经结束，不能取消", status=409)
        add_event(pledge_row.need_id, f"一份认领（{pledge_row.amount_text}）已取消，重新开放认领",
                  now)
        settle(pledge_row.need_id, now)
        pagecache.changed("matching", village)
        record("matching.pledge_cancel", actor, "matching_pledge", pledge_row.id, village, text)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


_last_sweep = 0.0


def expire_due(now: datetime | None = None, need_id: int | None = None) -> dict[str, int]:
    """Expire pledges past their hold and open needs past their deadline; one transaction per
    need. Run lazily by the pages and by ``sunshine matching expire``.

    A need past its deadline expires (with its active pledges) unless delivery started for one
    of its pledges; then the staff finish the delivery and close it.
    """
    now = now or utcnow()
    counts = {"pledges": 0, "needs": 0}
    # A need's page first asks in one statement whether anything of it is due at all.
    if need_id is not None and not db.session.scalar(
            _anything_due(), {"need": need_id, "now": now, "today": clock.today(now)}):
        return counts
    query = select(Pledge.need_id).where(Pledge.state == PledgeState.ACTIVE.value,
                                         Pledge.hold_until <= now)
    late = select(Need.id).where(Need.state.in_([s.value for s in OPEN_STATES]),
                                 Need.deadline < clock.today(now))
    if need_id is not None:
        query, late = query.where(Pledge.need_id == need_id), late.where(Need.id == need_id)
    for nid in sorted(set(db.session.execute(query).scalars())):
        try:
            lock_need(nid)
            counts["pledges"] += _expire_due_of(nid, now)
            settle(nid, now)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    for nid in list(db.session.execute(late).scalars()):
        counts["needs"] += _expire_need(nid, now)
    return counts


@functools.cache
def _anything_due() -> Select[Any]:
    """Whether a need (``need``) has a pledge past its hold or is open past its deadline, at
    ``now`` and ``today``: built once, as a need's page asks it on every view."""
    need: BindParameter[int] = bindparam("need")
    held = select(Pledge.id).where(Pledge.need_id == need,
                                   Pledge.state == PledgeState.ACTIVE.value,
                                   Pledge.hold_until <= bindparam("now"))
    late = select(Need.id).where(Need.id == need,
                                 Need.state.in_([s.value for s in OPEN_STATES]),
                                 Need.deadline < bindparam("today"))
    return select(or_(held.exists(), late.exists()))


def _expire_need(need_id: int, now: datetime) -> int:
    try:
        lock_need(need_id)
        started = db.session.scalar(select(func.count()).select_from(Pledge).where(
            Pledge.need_id == need_id, Pledge.state.in_([s.value for s in STARTED_STATES])))
        changed = 0
        if not started:
            changed = rowcount(db.session.execute(
                update(Need).where(Need.id == need_id,
                                   Need.state.in_([s.value for s in OPEN_STATES]),
                                   Need.deadline < clock.today(now))
                .values(state=NeedState.EXPIRED.value).execution_options(**_NO_SYNC)))
        if changed:
            for p in db.session.execute(select(Pledge).where(
                    Pledge.need_id == need_id, Pledge.state == PledgeState.ACTIVE.value)).scalars():
                release(p, (PledgeState.ACTIVE,), PledgeState.EXPIRED, now, "需求已过截止日期")
            add_event(need_id, "已过截止日期，需求已过期", now)
        db.session.commit()
        return changed
    except BaseException:
        db.session.rollback()
        raise


def maybe_expire(interval: float = 60.0) -> None:
    """The lazy sweep of list pages: at most once a minute per process."""
    global _last_sweep
    if time.monotonic() - _last_sweep < interval:
        return
    _last_sweep = time.monotonic()
    expire_due()


def holding_total(need_id: int) -> int:
    """Σ quantity of the holding pledges: equals Σ ``pledged`` of the need's lines."""
    return db.session.scalar(select(func.coalesce(func.sum(Pledge.quantity), 0)).where(
        Pledge.need_id == need_id, Pledge.state.in_([s.value for s in HOLDING_STATES]))) or 0
