"""A hypothesis state machine of pledge, cancel, expire and deliver on one need with two lines:
after every step 0 ≤ pledged ≤ needed on each line, pledged equals the sum of the holding
pledges, and the need's state agrees with its counters. Also run against PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from sunshine import clock
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.matching import delivery, needs, pledges
from sunshine.matching.common import MatchingError
from sunshine.matching.models import (
    HOLDING_STATES,
    LIVE_STATES,
    Need,
    NeedState,
    Pledge,
    PledgeState,
)
from tests.matching.conftest import make_need

pytestmark = pytest.mark.postgres

HOLDING = {s.value for s in HOLDING_STATES}
LIVE = {s.value for s in LIVE_STATES}


def test_pledged_never_leaves_zero_to_needed(app, users, monkeypatch):
    app.config["PLEDGE_HOLD_DAYS"] = 3
    # The model is about a need's lines; the caps on one donor are tested in test_limits.py.
    app.config.update(PLEDGE_MAX_ACTIVE=10**6, PLEDGE_LAPSES_FLAG=10**6)
    # Hypothesis seeds ``random`` alike in every example, and Whoosh names its segments with it:
    # the search index is beside the point here, so it is left alone.
    monkeypatch.setattr("sunshine.matching.indexing.reindex", lambda needs: None)
    donors = [users["donor"], users["donor2"]]
    staff, second = users["town"], users["county"]

    class PledgeMachine(RuleBasedStateMachine):
        made = Bundle("pledges")

        @initialize()
        def need(self) -> None:
            self.now = utcnow()
            self.need = make_need(users, items=[needs.ItemFields("书包", 3, "个"),
                                                needs.ItemFields("文具", 5, "套")])
            self.need_id = self.need.id
            self.lines = [i.id for i in self.need.items]
            self.codes: dict[int, str] = {}

        def should_succeed(self, line: int, quantity: int) -> bool:
            """The model: holds that lapsed are freed first, then the line must have room and
            the need must be open and not past its deadline."""
            db.session.expire_all()
            need = db.session.get(Need, self.need_id)
            lapsed = [p for p in db.session.execute(select(Pledge).where(
                Pledge.need_id == self.need_id, Pledge.state == PledgeState.ACTIVE.value))
                .scalars() if p.hold_until <= self.now]
            if need.state not in LIVE or need.deadline < clock.today(self.now):
                return False
            if need.pledged - sum(p.quantity for p in lapsed) >= need.needed:
                return False
            item = next(i for i in need.items if i.id == self.lines[line])
            freed = sum(p.quantity for p in lapsed if p.item_id == item.id)
            return quantity <= item.remaining + freed

        @rule(target=made, donor=st.integers(0, 1), line=st.integers(0, 1),
              quantity=st.integers(1, 6))
        def pledge(self, donor: int, line: int, quantity: int) -> int:
            expected = self.should_succeed(line, quantity)
            try:
                made = pledges.pledge(donors[donor], self.need_id, self.lines[line], quantity,
                                      pledges.PledgeDetails(), now=self.now)
            except MatchingError as exc:
                assert exc.status == 409 and not expected, (exc.message, line, quantity)
                return 0
            assert expected, (line, quantity)
            return made.id

        @rule(pledge_id=made)
        def cancel(self, pledge_id: int) -> None:
            row = db.session.get(Pledge, pledge_id) if pledge_id else None
            if row is None:
                return
            was = row.state
            try:
                pledges.cancel(db.session.get(type(donors[0]), row.donor_id), row, now=self.now)
            except MatchingError:
                assert was != PledgeState.ACTIVE
                return
            assert was == PledgeState.ACTIVE

        @rule(days=st.integers(1, 5))
        def expire(self, days: int) -> None:
            self.now += timedelta(days=days)
            pledges.expire_due(now=self.now)

        @rule(pledge_id=made, step=st.sampled_from(["start", "record", "code", "countersign"]))
        def deliver(self, pledge_id: int, step: str) -> None:
            row = db.session.get(Pledge, pledge_id) if pledge_id else None
            if row is None:
                return
            was = row.state
            try:
                if step == "start":
                    delivery.start_delivery(staff, row, now=self.now)
                elif step == "record":
                    self.codes[pledge_id] = delivery.record_delivery(staff, row, now=self.now)
                elif step == "code":
                    confirmed = delivery.confirm_with_code(self.codes.get(pledge_id, "x"),
                                                          now=self.now)
                    assert (confirmed is not None) == (was == PledgeState.DELIVERED
                                                       and pledge_id in self.codes)
                else:
                    delivery.countersign(second, row, now=self.now)
            except MatchingError as exc:
                assert exc.status == 409

        @invariant()
        def counters_hold(self) -> None:
            if not hasattr(self, "need_id"):
                return
            db.session.expire_all()
            need = db.session.get(Need, self.need_id)
            rows = list(db.session.execute(select(Pledge).where(
                Pledge.need_id == self.need_id)).scalars())
            for item in need.items:
                assert 0 <= item.pledged <= item.needed
                held = sum(p.quantity for p in rows if p.item_id == item.id and p.state in HOLDING)
                assert held == item.pledged, (item.name, held, item.pledged)
            if need.state in [s.value for s in LIVE_STATES]:
                if need.pledged == need.needed:
                    assert need.state in (NeedState.PLEDGED, NeedState.DELIVERING)
                else:
                    assert need.state == (NeedState.PARTLY if need.pledged
                                          else NeedState.PUBLISHED)
            if need.state == NeedState.DELIVERED:
                assert all(p.state == PledgeState.CONFIRMED for p in rows if p.state in HOLDING)

    run_state_machine_as_test(PledgeMachine, settings=settings(
        max_examples=30, stateful_step_count=25, deadline=None, database=None,
        derandomize=True, suppress_health_check=list(HealthCheck)))
