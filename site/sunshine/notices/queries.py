"""Reading published notices for the public pages, the feed, the CSV and the API.

The state is computed in SQL with the same rules as ``periods.state_of`` so that lists can
filter by it and put open notices first. The region filter means "this region, beneath it,
or above it" (as for news): a village's list shows its own notices, its town's and county's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope
from sunshine.extensions import db
from sunshine.notices import periods
from sunshine.notices.models import Notice, NoticeEntry, NoticeKind, NoticeState
from sunshine.regions import codes
from sunshine.regions.models import Region


def state_condition(state: NoticeState, now: datetime) -> ColumnElement[bool]:
    live = and_(Notice.withdrawn_at.is_(None), Notice.announced_at.is_(None),
                Notice.kind != NoticeKind.RESULT)
    if state is NoticeState.WITHDRAWN:
        return Notice.withdrawn_at.is_not(None)
    if state is NoticeState.ANNOUNCED:
        return and_(Notice.withdrawn_at.is_(None),
                    or_(Notice.announced_at.is_not(None), Notice.kind == NoticeKind.RESULT))
    if state is NoticeState.PENDING:
        return and_(live, Notice.starts_at > now)
    if state is NoticeState.OPEN:
        return and_(live, Notice.starts_at <= now, Notice.ends_at > now)
    return and_(live, Notice.ends_at <= now)


def state_rank(now: datetime) -> Any:
    """Open notices first, then those about to start, expired, announced, withdrawn."""
    order = [NoticeState.OPEN, NoticeState.PENDING, NoticeState.EXPIRED, NoticeState.ANNOUNCED]
    return case(*[(state_condition(s, now), n) for n, s in enumerate(order)], else_=len(order))


def region_condition(region_code: str) -> ColumnElement[bool]:
    lo, hi = codes.subtree_bounds(region_code)
    return or_(Notice.region_code.between(lo, hi),
               Notice.region_code.in_(codes.ancestors_of(region_code)))


@dataclass
class Filters:
    kind: NoticeKind | None = None
    region: Region | None = None
    state: NoticeState | None = None

    def args(self) -> dict[str, str]:
        found = {"kind": self.kind.value if self.kind else None,
                 "region": self.region.code if self.region else None,
                 "state": self.state.value if self.state else None}
        return {k: v for k, v in found.items() if v}


def parse_filters(args: Any) -> Filters:
    """Filters from query arguments; anything unknown is ignored rather than an error."""
    kind = args.get("kind", "")
    state = args.get("state", "")
    code = codes.clean(args.get("region"))
    region = db.session.get(Region, code) if code is not None else None
    return Filters(kind=NoticeKind(kind) if kind in {k.value for k in NoticeKind} else None,
                   region=region,
                   state=NoticeState(state) if state in {s.value for s in NoticeState} else None)


def public_query(filters: Filters, now: datetime | None = None) -> Select[tuple[Notice]]:
    now = now or periods.now()
    query = select(Notice).where(Notice.published_at.is_not(None))
    if filters.kind:
        query = query.where(Notice.kind == filters.kind)
    if filters.region:
        query = query.where(region_condition(filters.region.code))
    if filters.state:
        query = query.where(state_condition(filters.state, now))
    return query.order_by(state_rank(now), Notice.starts_at.desc(), Notice.id.desc())


def public_one(notice_id: int) -> Select[tuple[Notice]]:
    """The notice if the public may read it: published (withdrawn ones too: they keep their
    page); never a draft."""
    return select(Notice).where(Notice.id == notice_id, Notice.published_at.is_not(None))


def public_region(notice_id: int) -> str | None:
    """The region of a public notice, None for drafts and unknown ones: what a kept page needs
    to know before the notice itself is read."""
    return db.session.execute(_region_statement(), {"id": notice_id}).scalar()


@functools.cache
def _region_statement() -> Select[tuple[str]]:
    """``public_region``'s query, built once (building it cost more than running it); like
    ``session.get`` it does not flush the session."""
    return select(Notice.region_code).where(
        Notice.id == bindparam("id"), Notice.published_at.is_not(None)) \
        .execution_options(autoflush=False)


def get_public(notice_id: int) -> Notice | None:
    """A public notice (``public_one``) with its list, records and the notice it closes, all
    loaded here rather than one by one while rendering; None for drafts."""
    return db.session.scalar(public_one(notice_id).options(
        selectinload(Notice.entries), selectinload(Notice.links), joinedload(Notice.result_of)))


def entry_counts(notice_ids: list[int]) -> dict[int, int]:
    """How many households each notice lists, in one grouped query (lists show the number,
    not the names)."""
    if not notice_ids:
        return {}
    found = dict(db.session.execute(
        select(NoticeEntry.notice_id, func.count()).where(NoticeEntry.notice_id.in_(notice_ids))
        .group_by(NoticeEntry.notice_id)).tuples().all())
    return {n: found.get(n, 0) for n in notice_ids}


def open_notices(limit: int = 5, now: datetime | None = None) -> list[Notice]:
    """For the home page: open notices, those closing soonest first."""
    now = now or periods.now()
    query = select(Notice).where(Notice.published_at.is_not(None),
                                 state_condition(NoticeState.OPEN, now))
    return list(db.session.execute(query.order_by(Notice.ends_at, Notice.id).limit(limit))
                .scalars())


def feed_query(region_code: str | None, limit: int = 50) -> Select[tuple[Notice]]:
    query = select(Notice).where(Notice.published_at.is_not(None))
    if region_code:
        query = query.where(region_condition(region_code))
    return query.order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)


def admin_query(user: User, state: NoticeState | None = None, kind: NoticeKind | None = None,
                drafts: bool = False, now: datetime | None = None) -> Select[tuple[Notice]]:
    """Notices of the user's region, drafts included."""
    now = now or periods.now()
    query = select(Notice).where(region_scope(user, Notice.region_code))
    if drafts:
        query = query.where(Notice.published_at.is_(None), Notice.withdrawn_at.is_(None))
    elif state is NoticeState.WITHDRAWN:
        query = query.where(state_condition(state, now))
    elif state:
        query = query.where(Notice.published_at.is_not(None), state_condition(state, now))
    if kind:
        query = query.where(Notice.kind == kind)
    return query.order_by(Notice.updated_at.desc(), Notice.id.desc())


def kinds_with_labels() -> list[tuple[str, str]]:
    return [(k.value, k.label) for k in NoticeKind]
