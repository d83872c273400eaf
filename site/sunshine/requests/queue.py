"""The back office's queue of requests: filters, the query and the dashboard's counts, each
scoped to the staff member's region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, false, func, select

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope
from sunshine.clock import today
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.requests.handling import READERS
from sunshine.requests.models import RUNNING, InfoRequest, Status


@dataclass
class AdminFilters:
    status: Status | None = None
    overdue: bool = False
    held: bool = False


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    return and_(InfoRequest.status.in_(RUNNING), InfoRequest.deadline < today(now))


def admin_query(user: User, filters: AdminFilters, now: datetime | None = None
                ) -> Select[tuple[InfoRequest]]:
    """Requests to offices in the user's region, soonest deadline first."""
    now = now or utcnow()
    query = select(InfoRequest).where(region_scope(user, InfoRequest.office_region_code),
                                      InfoRequest.held.is_(filters.held))
    if user.role not in READERS:
        query = query.where(false())
    if filters.status:
        query = query.where(InfoRequest.status == filters.status)
    if filters.overdue:
        query = query.where(overdue_condition(now))
    return query.order_by(InfoRequest.status == Status.ANSWERED, InfoRequest.deadline.asc(),
                          InfoRequest.id.asc())


def counts_for(user: User, now: datetime | None = None) -> dict[str, int]:
    """Running, overdue and held requests in the user's region, for the dashboard."""
    now = now or utcnow()
    scope = region_scope(user, InfoRequest.office_region_code)

    def count(*conditions: ColumnElement[bool]) -> int:
        return db.session.scalar(select(func.count()).select_from(InfoRequest).where(
            scope, *conditions)) or 0

    return {"running": count(InfoRequest.held.is_(False), InfoRequest.status.in_(RUNNING)),
            "overdue": count(InfoRequest.held.is_(False), overdue_condition(now)),
            "held": count(InfoRequest.held.is_(True))}
