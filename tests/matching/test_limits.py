"""One donor cannot hold every need: active pledges are capped in number and value, and a
donor whose pledges keep lapsing is flagged to staff and holds one at a time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from sunshine.accounts.models import User
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.matching import delivery, needs, pledges
from sunshine.matching.common import MatchingError
from sunshine.matching.limits import LAPSED, flagged
from sunshine.matching.models import Need, Pledge, PledgeState
from sunshine.matching.pledges import PledgeDetails
from tests.matching.conftest import make_need

pytestmark = pytest.mark.postgres


def pledge(user: User, need: Need, quantity: int, **kwargs: object) -> Pledge:
    return pledges.pledge(user, need.id, need.items[0].id, quantity, PledgeDetails(),
                          **kwargs)  # type: ignore[arg-type]


def test_one_donor_holds_at_most_five_active_pledges(app, users):
    assert app.config["PLEDGE_MAX_ACTIVE"] == 5
    sixteen = [make_need(users, title=f"需求{n}") for n in range(16)]
    held = [pledge(users["donor"], need, 1) for need in sixteen[:5]]
    with pytest.raises(MatchingError, match="同时最多保留 5 份") as refused:
        pledge(users["donor"], sixteen[5], 1)
    assert refused.value.status == 409
    pledge(users["donor2"], sixteen[5], 1)  # another donor is not held back
    # Delivery under way, a cancelled pledge, and a hold that ran out do not count.
    delivery.start_delivery(users["town"], held[0])
    pledges.cancel(users["donor"], held[1])
    pledge(users["donor"], sixteen[6], 1)
    pledge(users["donor"], sixteen[7], 1)
    with pytest.raises(MatchingError, match="同时最多保留"):
        pledge(users["donor"], sixteen[8], 1)
    later = utcnow() + timedelta(days=8)
    pledge(users["donor"], sixteen[8], 1, now=later)


def test_the_value_held_is_capped_money_and_goods_at_their_price(app, users):
    assert app.config["PLEDGE_MAX_ACTIVE_YUAN"] == 20_000
    money = make_need(users, items=[], amount=Decimal("30000"))
    pledge(users["donor"], money, 1_500_000)  # 15 000 yuan
    goods = make_need(users, items=[needs.ItemFields("电脑", 5, "台", Decimal("3000.00"))])
    with pytest.raises(MatchingError, match="还可以认领 5,000.00 元") as refused:
        pledge(users["donor"], goods, 2)  # 6 000 yuan more
    assert refused.value.status == 409
    pledge(users["donor"], goods, 1)
    with pytest.raises(MatchingError, match="不能超过 20,000.00 元"):
        pledge(users["donor"], money, 200_100)
    pledge(users["donor"], money, 200_000)  # exactly up to the cap


def test_the_caps_are_configuration(app, users):
    app.config.update(PLEDGE_MAX_ACTIVE=2, PLEDGE_MAX_ACTIVE_YUAN=200)
    first, second, third = (make_need(users, title=f"需求{n}") for n in range(3))
    pledge(users["donor"], first, 1)  # 120 yuan a suit
    with pytest.raises(MatchingError, match="不能超过 200.00 元"):
        pledge(users["donor"], second, 1)
    app.config["PLEDGE_MAX_ACTIVE_YUAN"] = 1000
    pledge(users["donor"], second, 1)
    with pytest.raises(MatchingError, match="同时最多保留 2 份"):
        pledge(users["donor"], third, 1)


def pledges_of(user: User) -> list[Pledge]:
    return list(db.session.execute(select(Pledge).where(Pledge.donor_id == user.id)).scalars())


def _lapse(users, donor: str, times: int) -> None:
    now = utcnow()
    for n in range(times):
        need = make_need(users, title=f"过期{donor}{n}")
        pledge(users[donor], need, 1, now=now)
        now += timedelta(days=8)
        pledges.expire_due(now=now)


def test_a_donor_whose_pledges_keep_lapsing_is_flagged_and_held_to_one(app, users,
                                                                          client_for):
    _lapse(users, "donor", 3)
    assert flagged([users["donor"].id, users["donor2"].id], utcnow()) == {users["donor"].id: 3}
    first, second = make_need(users, title="新需求一"), make_need(users, title="新需求二")
    held = pledge(users["donor"], first, 1)
    with pytest.raises(MatchingError, match="同时最多保留 1 份"):
        pledge(users["donor"], second, 1)
    staff = client_for("staff-town")
    index = staff.get("/admin/matching/").get_data(as_text=True)
    assert "认领屡次过期的爱心人士" in index and "donor-a · 3 份过期" in index
    assert "donor-b" not in index
    page = staff.get(f"/admin/matching/{first.id}").get_data(as_text=True)
    assert "近 90 天有 3 份认领过期未配送" in page
    assert held.state == PledgeState.ACTIVE
    # Lapses older than the window are forgiven.
    assert flagged([users["donor"].id], utcnow() + timedelta(days=200)) == {}


def test_pledges_that_end_with_their_need_are_not_the_donors_lapses(users):
    for n in range(3):
        need = make_need(users, title=f"到期{n}", deadline=utcnow().date() + timedelta(days=1))
        pledge(users["donor"], need, 1)
    pledges.expire_due(now=utcnow() + timedelta(days=3))
    ended = {p.end_reason for p in pledges_of(users["donor"])}
    assert ended and LAPSED not in ended
    assert flagged([users["donor"].id], utcnow()) == {}


def test_a_refused_pledge_over_http_is_a_chinese_409(app, users, client_for):
    app.config["PLEDGE_MAX_ACTIVE"] = 1
    first, second = make_need(users, title="需求一"), make_need(users, title="需求二")
    pledge(users["donor"], first, 1)
    donor = client_for("donor-a")
    response = donor.post(f"/help/{second.id}/pledge", data={
        "item": str(second.items[0].id), "quantity": "1", "donor_kind": "person"})
    assert response.status_code == 409
    assert "同时最多保留 1 份" in response.get_data(as_text=True)
