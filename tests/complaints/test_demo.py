"""The demo step: cases across the province in every state, some overdue, followable by code."""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from sunshine.complaints import services
from sunshine.complaints.models import Case, Moderation, Status
from sunshine.demo.services import build_demo
from sunshine.extensions import db
from sunshine.registry import registry
from tests.apps import PASSWORD


def test_the_demo_has_cases_in_every_state(app, caplog, monkeypatch) -> None:
    # Only this feature's step (and the regions and accounts it needs): the others are slow.
    steps = registry(app).demo_steps
    monkeypatch.setattr(registry(app), "demo_steps", [s for s in steps if s[0] == "complaints"])
    caplog.set_level(logging.INFO, logger="sunshine.complaints.demo")
    build_demo(households=10, seed=3, password=PASSWORD)
    statuses = dict(db.session.execute(
        select(Case.status, func.count()).group_by(Case.status)).tuples().all())
    assert set(statuses) == set(Status), statuses
    assert db.session.scalar(select(func.count()).select_from(Case).where(
        Case.moderation == Moderation.HELD)) == 1
    assert db.session.scalar(select(func.count()).select_from(Case).where(
        Case.was_overdue.is_(True))) >= 2
    assert db.session.scalar(select(func.count()).select_from(Case).where(
        Case.published_at.is_not(None))) >= 1
    assert db.session.scalar(select(func.count()).select_from(Case).where(
        Case.rating.is_not(None))) >= 1
    regions = db.session.scalar(select(func.count(func.distinct(
        func.substr(Case.region_code, 1, 6)))))
    assert regions >= 10  # across the province, not one county
    code = re.search(r"a tracking code to try: (\S+)", caplog.text)
    assert code and services.find_by_code(code.group(1)) is not None
