"""The demo step: notices of the first county in every state, drawn from the demo register,
with objections (ruled and waiting), a result announcement, and records linked."""

from __future__ import annotations

from sqlalchemy import select

from sunshine.demo.services import build_demo
from sunshine.extensions import db
from sunshine.notices import objections, periods
from sunshine.notices.models import Notice, NoticeKind, NoticeState
from sunshine.registry import registry
from tests.apps import PASSWORD
from tests.conftest import COUNTY_PREFIX

STEPS = {"stats", "funds", "notices"}


def test_the_demo_has_notices_in_every_state(app, client, monkeypatch) -> None:
    steps = registry(app).demo_steps
    monkeypatch.setattr(registry(app), "demo_steps", [s for s in steps if s[0] in STEPS])
    build_demo(households=300, seed=2, password=PASSWORD)
    notices = list(db.session.execute(select(Notice).order_by(Notice.id)).scalars())
    states = {periods.state_of(n) for n in notices if n.published_at}
    assert states == set(NoticeState), states
    assert any(n.published_at is None and n.withdrawn_at is None for n in notices)  # a draft
    assert {n.kind for n in notices} >= {NoticeKind.IDENTIFICATION, NoticeKind.EXIT,
                                         NoticeKind.PROJECT, NoticeKind.FUND, NoticeKind.RESULT}
    found = [o for n in notices for o in objections.objections_of(n)]
    assert sum(o.resolved for o in found) >= 4 and sum(not o.resolved for o in found) >= 2
    assert all(n.region_code.startswith(COUNTY_PREFIX) for n in notices)
    household_lists = [n for n in notices if n.kind.lists_households]
    assert all(n.entries and "*" in n.entries[0].masked_name for n in household_lists)
    assert all(n.links for n in notices if n.kind in (NoticeKind.PROJECT, NoticeKind.FUND))
    # The first notice is open with objections: the one the browser checks.
    first = notices[0]
    assert periods.state_of(first) is NoticeState.OPEN and objections.objections_of(first)
    result = next(n for n in notices if n.kind is NoticeKind.RESULT)
    page = client.get(f"/notices/{result.id}").get_data(as_text=True)
    assert "异议处理情况" in page and "成立" in page
