"""Disclosure deadlines: when a record must be public, and the drafts nearing or past it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.records.models import State
from sunshine.workdays.services import add_days


def config_deadline(start: date, kind: str) -> date:
    """The disclosure deadline of a ``kind`` (FUNDS, PROJECTS): calendar days after ``start``,
    or working days (the working-day calendar's) when configured."""
    config = current_app.config
    return add_days(start, int(config.get(f"{kind}_DISCLOSURE_DAYS", 15)),
                    bool(config.get(f"{kind}_DISCLOSURE_WORKING_DAYS", False)))


def warning_day() -> date:
    """Drafts due by this day are shown as nearing their deadline."""
    return today() + timedelta(days=int(current_app.config.get("DISCLOSURE_WARNING_DAYS", 5)))


def deadline_counts(model: Any, user: User) -> tuple[int, int, int]:
    """Drafts in the user's region: all, due within the warning days, and past due."""
    scope = region_scope(user, model.region_code)
    base = select(func.count()).select_from(model).where(model.state == State.DRAFT.value, scope)
    drafts = db.session.scalar(base) or 0
    soon = db.session.scalar(base.where(model.deadline.between(today(), warning_day()))) or 0
    late = db.session.scalar(base.where(model.deadline < today())) or 0
    return drafts, soon, late
