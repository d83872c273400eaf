"""The rules of needs and pledges, called directly (also run against PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from sunshine.accounts.models import User
from sunshine.audit import AuditEntry
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.guard import PersonalDataFound
from sunshine.matching import delivery, names, needs, pledges
from sunshine.matching.common import MatchingError, PermissionDenied
from sunshine.matching.models import Need, NeedState, Pledge, PledgeState
from sunshine.matching.pledges import PledgeDetails
from tests.conftest import SAMPLE
from tests.matching.conftest import (
    HOUSEHOLD,
    OTHER_HOUSEHOLD,
    add_household,
    make_need,
    need_fields,
)

pytestmark = pytest.mark.postgres


def pledge(user: User, need: Need, quantity: int, line: int = 0, **details: object) -> Pledge:
    return pledges.pledge(user, need.id, need.items[line].id, quantity,
                          PledgeDetails(**details))  # type: ignore[arg-type]


def fresh(need: Need) -> Need:
    db.session.expire_all()
    return db.session.get(Need, need.id)


# --- creating and verifying ------------------------------------------------------------------


def test_only_county_town_and_village_staff_create_needs(users):
    for who in ("admin", "donor", "seller"):
        with pytest.raises(PermissionDenied):
            needs.create_need(users[who], need_fields())
    need = needs.create_need(users["town"], need_fields())
    assert need.state == NeedState.DRAFT and need.village_code == SAMPLE["village"]
    assert need.county_code == SAMPLE["county"] and need.creator_region == SAMPLE["town"]


def test_household_must_be_in_the_creators_region(users):
    with pytest.raises(MatchingError, match="不在您负责的区划内"):
        needs.create_need(users["town"], need_fields(household_id=OTHER_HOUSEHOLD))
    with pytest.raises(MatchingError, match="没有这个档案编号"):
        needs.create_need(users["town"], need_fields(household_id=HOUSEHOLD + 5))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"category": "其他"}, "类别"),
    ({"title": "   "}, "标题"),
    ({"urgency": 7}, "紧急程度"),
    ({"deadline": date.today() - timedelta(days=2)}, "截止日期"),
    ({"deadline": date.today() + timedelta(days=400)}, "截止日期"),
    ({"items": []}, "至少填写一项"),
    ({"items": [needs.ItemFields("书包", 0, "个")]}, "数量"),
    ({"items": [needs.ItemFields("书包", 1, "吨")]}, "单位"),
    ({"items": [], "amount": Decimal("0")}, "金额"),
    ({"amount": Decimal("100")}, "分开发布"),
])
def test_bad_fields_are_refused(users, overrides, message):
    with pytest.raises(MatchingError, match=message):
        needs.create_need(users["town"], need_fields(**overrides))
    assert db.session.scalar(select(Need.id)) is None


def test_verification_needs_a_second_person_of_a_higher_level(users):
    need = needs.create_need(users["town"], need_fields())
    with pytest.raises(MatchingError, match="只有待审核"):
        needs.verify(users["county"], need)
    needs.submit(users["town"], need)
    with pytest.raises(MatchingError, match="创建人以外"):
        needs.verify(users["town"], need)
    with pytest.raises(PermissionDenied):
        needs.verify(users["other"], need)
    county_need = needs.create_need(users["county"], need_fields())
    needs.submit(users["county"], county_need)
    with pytest.raises(MatchingError, match="更高一级"):
        needs.verify(users["county2"], county_need)  # same level, another person
    needs.verify(users["admin"], county_need)
    needs.verify(users["county"], need)
    assert fresh(need).state == NeedState.PUBLISHED
    assert fresh(need).verified_by == users["county"].id
    assert [e.text for e in fresh(need).events] == ["经核实后发布"]


def test_publish_guard_refuses_personal_numbers(users):
    need = needs.create_need(users["town"], need_fields(story="联系电话 13812345678"))
    with pytest.raises(PersonalDataFound):
        needs.submit(users["town"], need)
    assert fresh(need).state == NeedState.DRAFT


def test_register_names_warn_and_the_households_own_are_refused(users):
    add_household(HOUSEHOLD + 1, ["蓝海生"])  # a neighbour in the same village
    need = needs.create_need(users["town"], need_fields(
        story="覃秀兰的孩子在读初二，蓝海生是邻居，黄某某在外县"))
    assert names.warnings_for(need) == ["覃*兰（本户成员）", "蓝*生（本村登记人员）"]
    with pytest.raises(MatchingError, match="覃\\*兰"):
        needs.submit(users["town"], need)
    needs.update_draft(users["town"], need, need_fields(story="孩子在读初二，蓝海生是邻居"))
    assert names.warnings_for(fresh(need)) == ["蓝*生（本村登记人员）"]
    needs.submit(users["town"], fresh(need))
    assert fresh(need).state == NeedState.PENDING
    needs.verify(users["county"], fresh(need))
    with pytest.raises(MatchingError, match="家庭成员"):
        needs.update_public(users["town"], fresh(need), "标题", "韦金雀很感激", 2,
                            date.today() + timedelta(days=3))


def test_send_back_returns_a_draft_with_the_reason(users):
    need = make_need(users, publish=False)
    needs.submit(users["town"], need)
    with pytest.raises(MatchingError, match="退回原因"):
        needs.send_back(users["county"], need, " ")
    needs.send_back(users["county"], need, "请删去学校名称")
    assert fresh(need).state == NeedState.DRAFT and fresh(need).review_note == "请删去学校名称"


# --- pledging ----------------------------------------------------------------------------------


def test_pledges_fill_a_need_and_then_it_is_sold_out(users):
    need = make_need(users)
    pledge(users["donor"], need, 4, display_name="张善人")
    assert fresh(need).state == NeedState.PARTLY
    with pytest.raises(MatchingError, match="只剩 6 套") as exc:
        pledge(users["donor2"], need, 7)
    assert exc.value.status == 409
    pledge(users["donor2"], need, 6, anonymous=True)
    need = fresh(need)
    assert need.state == NeedState.PLEDGED and need.pledged == 10 == pledges.holding_total(need.id)
    with pytest.raises(MatchingError, match="已认领完") as exc:
        pledge(users["donor"], need, 1)
    assert exc.value.status == 409
    rows = db.session.execute(select(Pledge).order_by(Pledge.id)).scalars()
    names = [p.display_name for p in rows]
    assert names == ["张善人", "爱心人士"]


def test_money_needs_count_in_fen(users):
    need = make_need(users, items=[], amount=Decimal("1200.50"))
    pledge(users["donor"], need, 100_025)  # 1000.25 yuan
    need = fresh(need)
    assert need.money and need.items[0].remaining == 20_025
    assert need.items[0].show(need.items[0].remaining) == "200.25 元"


def test_only_donors_pledge_and_only_open_needs(users):
    need = make_need(users, publish=False)
    with pytest.raises(PermissionDenied):
        pledge(users["seller"], need, 1)
    with pytest.raises(MatchingError, match="不接受认领"):
        pledge(users["donor"], need, 1)
    with pytest.raises(PersonalDataFound):
        published = make_need(users)
        pledge(users["donor"], published, 1, display_name="电话13812345678")
    assert fresh(published).pledged == 0


def test_cancel_frees_the_share_and_only_the_owner_may(users):
    need = make_need(users)
    mine = pledge(users["donor"], need, 10)
    with pytest.raises(PermissionDenied):
        pledges.cancel(users["donor2"], mine)
    pledges.cancel(users["donor"], mine)
    assert fresh(need).state == NeedState.PUBLISHED and fresh(need).pledged == 0
    with pytest.raises(MatchingError, match="不能取消"):
        pledges.cancel(users["donor"], db.session.get(Pledge, mine.id))
    assert db.session.get(Pledge, mine.id).state == PledgeState.CANCELLED


def test_pledges_expire_after_their_hold_unless_delivery_started(app, users):
    app.config["PLEDGE_HOLD_DAYS"] = 3
    need = make_need(users)
    first = pledge(users["donor"], need, 4)
    second = pledge(users["donor2"], need, 6)
    assert first.hold_until - first.created_at == timedelta(days=3)
    delivery.start_delivery(users["town"], second)
    counts = pledges.expire_due(now=utcnow() + timedelta(days=3, minutes=1))
    assert counts == {"pledges": 1, "needs": 0}
    assert db.session.get(Pledge, first.id).state == PledgeState.EXPIRED
    assert db.session.get(Pledge, second.id).state == PledgeState.DELIVERING
    need = fresh(need)
    assert need.state == NeedState.PARTLY and need.pledged == 6
    with pytest.raises(MatchingError, match="不能取消"):
        pledges.cancel(users["donor2"], db.session.get(Pledge, second.id))


def test_a_pledge_on_a_need_with_lapsed_holds_takes_the_freed_share(users):
    need = make_need(users)
    pledge(users["donor"], need, 10)
    later = utcnow() + timedelta(days=8)
    pledges.pledge(users["donor2"], need.id, need.items[0].id, 10, PledgeDetails(), now=later)
    assert fresh(need).pledged == 10 == pledges.holding_total(need.id)


def test_needs_past_their_deadline_expire_with_their_pledges(users):
    need = make_need(users)
    started = make_need(users)
    pledge(users["donor"], need, 2)
    on_way = pledge(users["donor"], started, 2)
    delivery.start_delivery(users["town"], on_way)
    counts = pledges.expire_due(now=utcnow() + timedelta(days=31))
    assert counts["needs"] == 1
    assert fresh(need).state == NeedState.EXPIRED and fresh(need).pledged == 0
    assert fresh(started).state == NeedState.PARTLY  # delivery started: staff finish it
    with pytest.raises(MatchingError, match="截止日期"):
        pledges.pledge(users["donor2"], started.id, started.items[0].id, 1, PledgeDetails(),
                       now=utcnow() + timedelta(days=31))


# --- delivery ----------------------------------------------------------------------------------


def test_delivery_is_confirmed_by_the_slip_code_once(users):
    need = make_need(users)
    mine = pledge(users["donor"], need, 10)
    assert fresh(need).state == NeedState.PLEDGED
    delivery.start_delivery(users["town"], mine)
    assert fresh(need).state == NeedState.DELIVERING
    code = delivery.record_delivery(users["town"], db.session.get(Pledge, mine.id))
    assert len(code) == 12 and code.isdigit()
    stored = db.session.get(Pledge, mine.id)
    assert stored.state == PledgeState.DELIVERED and code not in (stored.code_hash or "")
    assert delivery.confirm_with_code("000000000000") is None
    assert delivery.confirm_with_code("abc") is None
    confirmed = delivery.confirm_with_code(f"{code[:4]} {code[4:8]}-{code[8:]}")
    assert confirmed is not None and confirmed.confirm_method == "code"
    assert delivery.confirm_with_code(code) is None  # used
    need = fresh(need)
    assert need.state == NeedState.DELIVERED
    assert "受助户已收到 冬季校服 10 套（凭送达单确认码确认）" in [e.text for e in need.events]


def test_a_reprinted_slip_voids_the_old_code(users):
    need = make_need(users)
    mine = pledge(users["donor"], need, 3)
    old = delivery.record_delivery(users["town"], mine)
    new = delivery.record_delivery(users["town"], db.session.get(Pledge, mine.id))
    assert delivery.confirm_with_code(old) is None
    assert delivery.confirm_with_code(new) is not None


def test_countersign_needs_a_second_staff_member(users):
    need = make_need(users, items=[needs.ItemFields("棉被", 2, "床")])
    mine = pledge(users["donor"], need, 2)
    delivery.record_delivery(users["town"], mine)
    with pytest.raises(MatchingError, match="另一名工作人员"):
        delivery.countersign(users["town"], db.session.get(Pledge, mine.id))
    with pytest.raises(PermissionDenied):
        delivery.countersign(users["other"], db.session.get(Pledge, mine.id))
    delivery.countersign(users["county"], db.session.get(Pledge, mine.id))
    assert db.session.get(Pledge, mine.id).confirm_method == "countersign"
    assert fresh(need).state == NeedState.DELIVERED


def test_thanks_and_close_come_after_delivery(users):
    need = make_need(users, items=[needs.ItemFields("棉被", 2, "床")])
    with pytest.raises(MatchingError, match="送达并确认"):
        needs.thank(users["town"], need, "谢谢")
    mine = pledge(users["donor"], need, 2)
    code = delivery.record_delivery(users["town"], mine)
    delivery.confirm_with_code(code)
    need = fresh(need)
    with pytest.raises(PersonalDataFound):
        needs.thank(users["town"], need, "请打 13812345678 联系我们")
    needs.thank(users["town"], fresh(need), "谢谢好心人")
    needs.close(users["town"], fresh(need))
    assert fresh(need).state == NeedState.CLOSED and fresh(need).thanks_note == "谢谢好心人"


def test_withdrawing_cancels_active_pledges_but_not_after_delivery(users):
    need = make_need(users)
    mine = pledge(users["donor"], need, 3)
    needs.withdraw(users["town"], need, "户主已通过其他渠道解决")
    assert fresh(need).state == NeedState.WITHDRAWN and fresh(need).pledged == 0
    assert db.session.get(Pledge, mine.id).end_reason == "需求已撤回"
    other = make_need(users)
    started = pledge(users["donor"], other, 1)
    delivery.start_delivery(users["town"], started)
    with pytest.raises(MatchingError, match="开始配送"):
        needs.withdraw(users["town"], fresh(other), "不需要了")
    assert fresh(other).state == NeedState.PARTLY


def test_partly_met_need_past_its_deadline_can_be_thanked_and_closed(users):
    need = make_need(users)
    mine = pledge(users["donor"], need, 4)
    delivery.record_delivery(users["town"], mine)
    delivery.countersign(users["county"], db.session.get(Pledge, mine.id))
    need = fresh(need)
    assert not needs.finished_early(need)
    need.deadline = date.today() - timedelta(days=1)
    db.session.commit()
    assert needs.finished_early(fresh(need))
    needs.thank(users["town"], fresh(need), "收到四套校服，谢谢")
    assert fresh(need).state == NeedState.THANKED


def test_every_step_is_audit_logged(users):
    need = make_need(users)
    mine = pledge(users["donor"], need, 1)
    pledges.cancel(users["donor"], mine)
    actions = list(db.session.execute(select(AuditEntry.action).where(
        AuditEntry.object_type.in_(["matching_need", "matching_pledge"]))
        .order_by(AuditEntry.id)).scalars())
    assert actions == ["matching.need_create", "matching.need_submit", "matching.need_verify",
                       "matching.pledge", "matching.pledge_cancel"]


def test_expire_command(app, users, runner):
    need = make_need(users)
    mine = pledge(users["donor"], need, 1)
    db.session.execute(Pledge.__table__.update().where(Pledge.id == mine.id)
                       .values(hold_until=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    result = runner.invoke(args=["matching", "expire"])
    assert result.exit_code == 0, result.output
    assert "过期认领 1 份" in result.output
    assert fresh(need).pledged == 0
