"""The legal clock and the rules of notices, with a frozen clock: periods by kind, drafting
from the register, publishing, objections inside and outside the period, rulings through the
complaints handling, finalizing, withdrawal, permissions and the audit log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from sunshine.audit import AuditEntry
from sunshine.complaints import handling
from sunshine.complaints import services as complaints
from sunshine.complaints.models import Case, Kind, Moderation, Status
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.guard import PersonalDataFound
from sunshine.notices import drafting, objections, periods, services
from sunshine.notices.models import (
    Notice,
    NoticeEntry,
    NoticeKind,
    NoticeObjection,
    NoticeState,
    Ruling,
)
from sunshine.notices.services import NoticeError
from tests.conftest import COUNTY_PREFIX, SAMPLE
from tests.notices.conftest import (
    MORNING,
    START,
    TOWN_VILLAGE,
    VILLAGE,
    VILLAGE_2,
    draft,
    filled,
    published,
)

pytestmark = pytest.mark.postgres


def _actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


# --- periods -------------------------------------------------------------------------------


def test_minimum_periods_come_from_the_configuration(app) -> None:
    monday = date(2026, 3, 2)
    assert periods.minimum_end(NoticeKind.IDENTIFICATION, monday) == date(2026, 3, 8)
    assert periods.minimum_end(NoticeKind.EXIT, monday) == date(2026, 3, 8)
    assert periods.minimum_end(NoticeKind.MONITORING, monday) == date(2026, 3, 6)
    assert periods.minimum_end(NoticeKind.PROJECT, monday) == date(2026, 3, 11)
    assert periods.minimum_end(NoticeKind.FUND, monday) == date(2026, 3, 11)
    app.config["NOTICE_PERIOD_DAYS"] = {**app.config["NOTICE_PERIOD_DAYS"], "exit": 15}
    assert periods.minimum_end(NoticeKind.EXIT, monday) == date(2026, 3, 16)


def test_working_days_skip_weekends_and_a_weekend_start(app) -> None:
    app.config["NOTICE_PERIOD_WORKING_DAYS"] = True
    # Mon 2 March + 7 working days: 2–6 and 9–10 March.
    assert periods.minimum_end(NoticeKind.IDENTIFICATION, date(2026, 3, 2)) == date(2026, 3, 10)
    # Starting on a Saturday counts from Monday: 2–6 and 9–10 March again.
    assert periods.minimum_end(NoticeKind.IDENTIFICATION, date(2026, 2, 28)) == date(2026, 3, 10)


def test_the_state_follows_the_clock(app, users, register, clock) -> None:
    clock.set(MORNING - timedelta(days=2))
    notice = published(users["county"])
    assert services.state(notice) is NoticeState.PENDING
    assert services.state(notice, clock.day(1, hour=0) - timedelta(seconds=1)) \
        is NoticeState.PENDING
    assert services.state(notice, clock.day(1, hour=0)) is NoticeState.OPEN
    assert services.state(notice, clock.day(7, hour=23)) is NoticeState.OPEN
    assert services.state(notice, clock.day(8, hour=0)) is NoticeState.EXPIRED
    assert notice.period_days == 7 and notice.end_on == date(2026, 3, 8)


# --- drafting ------------------------------------------------------------------------------


def test_entries_are_drawn_from_the_register_and_masked(app, users, register, clock) -> None:
    notice = filled(users["county"])
    names = {e.masked_name for e in notice.entries}
    assert names == {"张*", "欧**华", "金**甲", "J********", "司**飞", "李*"}
    assert {e.village_code for e in notice.entries} == {VILLAGE}
    assert all(e.reason == "因病" and e.household_size for e in notice.entries)
    # Only households that entered in the notice's year: the 2014 household is not offered.
    assert len(notice.entries) == 7
    columns = set(NoticeEntry.__table__.columns.keys())
    assert columns == {"id", "notice_id", "position", "household_id", "masked_name",
                       "village_code", "household_size", "reason"}
    assert _actions()[-2:] == ["notice_created", "notice_entries_added"]


def test_each_kind_offers_its_own_households(app, users, register, clock) -> None:
    exit_notice = filled(users["county"], kind=NoticeKind.EXIT, region=VILLAGE_2, year=2019)
    assert [e.reason for e in exit_notice.entries] == ["2019年脱贫"] * 3
    watch = filled(users["county"], kind=NoticeKind.MONITORING, region=f"{COUNTY_PREFIX}102000",
                   year=2019)
    assert [(e.masked_name, e.reason) for e in watch.entries] == [("蓝*贫", "2019年返贫（因灾）")]
    assert drafting.candidates(users["county"], draft(users["county"], year=2015))[1] == 0


def test_households_outside_the_region_or_kind_are_refused(app, users, register, clock) -> None:
    notice = draft(users["county"])
    outsider = int(f"{VILLAGE_2}0001")  # an exit household, another village
    with pytest.raises(NoticeError):
        drafting.add_households(users["county"], notice, [outsider])
    with pytest.raises(NoticeError):
        drafting.add_households(users["county"], notice, [])
    with pytest.raises(PermissionDenied):
        drafting.candidates(users["other"], notice)
    assert notice.entries == []


def test_a_draft_needs_a_region_a_start_and_a_long_enough_period(app, users, register,
                                                                clock) -> None:
    for fields, field in [({"region": SAMPLE["city"]}, "region_code"),
                          ({"region": "999999999999"}, "region_code"),
                          ({"start": START - timedelta(days=1)}, "start_on"),
                          ({"end_on": START + timedelta(days=5)}, "end_on"),
                          ({"title": " "}, "title"), ({"year": 2031}, "register_year")]:
        with pytest.raises(NoticeError) as caught:
            draft(users["county"], **fields)
        assert caught.value.field == field, fields
    with pytest.raises(PermissionDenied):
        draft(users["other"])
    with pytest.raises(PermissionDenied):
        draft(users["editor"], region=SAMPLE["county"])
    longer = draft(users["county"], end_on=START + timedelta(days=9))
    assert longer.period_days == 10


def test_publishing_checks_the_list_the_start_and_personal_numbers(app, users, register,
                                                                   clock) -> None:
    empty = draft(users["county"])
    with pytest.raises(NoticeError, match="名单是空的"):
        services.publish(users["county"], empty)
    leaky = filled(users["county"], body="联系人电话 13912345678")
    with pytest.raises(PersonalDataFound):
        services.publish(users["county"], leaky)
    db.session.rollback()
    late = filled(users["county"], region=VILLAGE_2, kind=NoticeKind.EXIT, year=2019)
    clock.set(clock.day(2))
    with pytest.raises(NoticeError, match="开始日期已过"):
        services.publish(users["county"], late)
    assert late.published_at is None


def test_a_published_notice_cannot_be_edited(app, users, register, clock) -> None:
    notice = published(users["county"])
    with pytest.raises(NoticeError):
        services.update_draft(users["county"], notice, services.DraftFields(
            kind="identification", region_code=VILLAGE, title="改", body="", start_on=START))
    with pytest.raises(NoticeError):
        drafting.remove_entry(users["county"], notice, notice.entries[0].id)


# --- objections ----------------------------------------------------------------------------


def test_an_objection_is_a_tracked_case_with_its_entry(app, users, register, clock) -> None:
    notice = published(users["county"])
    clock.set(clock.day(3))
    entry = notice.entries[1]
    case, code = objections.file_objection(notice, "这户有车有房。", entry.id)
    assert case.kind is Kind.OBJECTION and case.target_type == "notice"
    assert case.target_id == str(notice.id) and "公示公告" in case.target_label
    assert entry.masked_name in case.subject
    assert complaints.find_by_code(code).id == case.id
    link = db.session.scalar(select(NoticeObjection).where(NoticeObjection.case_id == case.id))
    assert link is not None and link.entry_id == entry.id and link.ruling is None
    # The village's objection goes to its town, the unit that answers for villages.
    assert case.handling_region_code == SAMPLE["town"]


def test_an_objection_outside_the_period_is_refused(app, users, register, clock) -> None:
    clock.set(MORNING - timedelta(days=1))
    notice = published(users["county"])
    with pytest.raises(NoticeError, match="还没有开始"):
        objections.file_objection(notice, "太早了")
    clock.set(clock.day(7, hour=23))
    objections.file_objection(notice, "最后一天的晚上")
    clock.set(clock.day(8, hour=0))
    with pytest.raises(NoticeError, match="已于 2026-03-08 结束"):
        objections.file_objection(notice, "公示期已过")
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_refused_case_leaves_no_objection_row(app, users, register, clock) -> None:
    notice = published(users["county"])
    with pytest.raises(complaints.CaseError):
        objections.file_objection(notice, "   ")
    db.session.rollback()
    with pytest.raises(NoticeError):
        objections.file_objection(notice, "不在名单里", entry_id=999_999)
    assert db.session.scalar(select(func.count()).select_from(NoticeObjection)) == 0
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


# --- finalizing ----------------------------------------------------------------------------


def test_finalizing_on_day_6_of_a_7_day_notice_is_refused(app, users, register, clock) -> None:
    notice = published(users["county"])
    for day in (1, 6, 7):
        clock.set(clock.day(day, hour=23))
        with pytest.raises(NoticeError, match="期满后才能发布结果公告"):
            objections.finalize(users["county"], notice, "结果公告", "")
    clock.set(clock.day(8, hour=0))
    result = objections.finalize(users["county"], notice, "结果公告", "公示期满，无异议。")
    assert result.kind is NoticeKind.RESULT and result.result_of_id == notice.id
    assert services.state(notice) is NoticeState.ANNOUNCED
    assert services.state(result) is NoticeState.ANNOUNCED
    with pytest.raises(NoticeError, match="已经发布过"):
        objections.finalize(users["county"], notice, "再来一次", "")


def test_finalizing_with_an_open_objection_is_refused(app, users, register, clock) -> None:
    notice = published(users["county"])
    clock.set(clock.day(2))
    upheld, _ = objections.file_objection(notice, "有房有车", notice.entries[0].id)
    waiting, _ = objections.file_objection(notice, "评议程序不对")
    clock.set(clock.day(9))
    with pytest.raises(NoticeError, match="还有 2 条异议没有裁定"):
        objections.finalize(users["county"], notice, "结果公告", "")
    objections.rule(users["county"], notice, upheld.id, "upheld", "经核实收入超标，移出名单。")
    with pytest.raises(NoticeError, match="还有 1 条异议没有裁定"):
        objections.finalize(users["county"], notice, "结果公告", "")
    objections.rule(users["county"], notice, waiting.id, "dismissed", "评议程序符合规定。")
    result = objections.finalize(users["county"], notice, "结果公告", "")
    # The household of the upheld objection leaves the list; the others stay.
    assert [e.household_id for e in result.entries] == \
        [e.household_id for e in notice.entries[1:]]
    assert [e.position for e in result.entries] == list(range(1, len(notice.entries)))
    rulings = [(o.entry.label if o.entry else None, o.ruling_label, o.reason)
               for o in objections.objections_of(notice)]
    assert rulings == [(notice.entries[0].label, "成立", "经核实收入超标，移出名单。"),
                       (None, "不成立", "评议程序符合规定。")]
    assert "notice_announced" in _actions()


# --- rulings -------------------------------------------------------------------------------


def test_a_ruling_answers_and_closes_the_case(app, users, register, clock) -> None:
    notice = published(users["county"])
    case, code = objections.file_objection(notice, "有车有房", notice.entries[0].id)
    objections.rule(users["town"], notice, case.id, "dismissed", "车辆为亲属所有。")
    db.session.expire_all()
    case = complaints.find_by_code(code)
    assert case.status is Status.CLOSED
    history = [e.text for e in complaints.public_history(case)]
    assert "异议裁定：不成立。理由：车辆为亲属所有。" in history
    with pytest.raises(NoticeError, match="已经裁定"):
        objections.rule(users["town"], notice, case.id, "upheld", "改判")
    assert _actions().count("notice_objection_ruled") == 1


def test_a_ruling_needs_a_reason_without_personal_numbers(app, users, register, clock) -> None:
    notice = published(users["county"])
    case, _ = objections.file_objection(notice, "有车有房")
    with pytest.raises(NoticeError) as caught:
        objections.rule(users["county"], notice, case.id, "maybe", "理由")
    assert caught.value.field == "ruling"
    with pytest.raises(NoticeError):
        objections.rule(users["county"], notice, case.id, "upheld", "  ")
    with pytest.raises(PersonalDataFound):
        objections.rule(users["county"], notice, case.id, "upheld", "户主 450102198001010015")
    db.session.rollback()
    assert db.session.get(Case, case.id).status is Status.SUBMITTED


def test_only_staff_who_may_handle_the_case_rule(app, users, register, clock) -> None:
    notice = published(users["county"])
    case, _ = objections.file_objection(notice, "有车有房")
    with pytest.raises(PermissionDenied):
        objections.rule(users["other"], notice, case.id, "upheld", "理由")
    with pytest.raises(PermissionDenied):
        objections.rule(users["editor"], notice, case.id, "upheld", "理由")


def test_a_ruling_picks_up_wherever_the_case_stands(app, users, register, clock) -> None:
    notice = published(users["county"])
    accepted, _ = objections.file_objection(notice, "一")
    handling.accept(accepted, users["county"])
    handling.start(accepted, users["county"])
    answered, _ = objections.file_objection(notice, "二")
    handling.accept(answered, users["county"])
    handling.reply(answered, users["county"], "正在核实，稍后裁定。")
    closed, _ = objections.file_objection(notice, "三")
    handling.accept(closed, users["county"])
    handling.reply(closed, users["county"], "已核实。")
    handling.close(closed, users["county"])
    held, _ = objections.file_objection(notice, "四", suspicion="too_fast")
    assert held.moderation is Moderation.HELD
    for case in (accepted, answered, closed, held):
        objections.rule(users["county"], notice, case.id, "dismissed", "经核实不成立。")
        db.session.expire_all()
        done = db.session.get(Case, case.id)
        assert done.status is Status.CLOSED and done.moderation is Moderation.NONE
        assert any("异议裁定：不成立" in e.text for e in complaints.public_history(done))


def test_a_refused_objection_counts_as_resolved(app, users, register, clock) -> None:
    notice = published(users["county"])
    case, _ = objections.file_objection(notice, "广告")
    handling.reject(case, users["county"], "与公示无关", "请拨打 12317")
    clock.set(clock.day(8))
    [found] = objections.objections_of(notice)
    assert found.resolved and found.ruling_label == "不予受理" and found.reason == "与公示无关"
    assert objections.objection_counts([notice.id]) == {notice.id: (1, 1)}
    objections.finalize(users["county"], notice, "结果公告", "")
    with pytest.raises(NoticeError, match="不能再裁定"):
        objections.rule(users["county"], notice, case.id, "upheld", "理由")


# --- withdrawal and permissions ------------------------------------------------------------


def test_withdrawing_keeps_the_page_and_closes_objections(app, users, register, clock) -> None:
    notice = published(users["county"])
    with pytest.raises(NoticeError):
        services.withdraw(users["county"], notice, "")
    with pytest.raises(PersonalDataFound):
        services.withdraw(users["county"], notice, "联系 13912345678")
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        services.withdraw(users["other"], notice, "越权")
    services.withdraw(users["county"], notice, "名单有误，重新评议")
    assert services.state(notice) is NoticeState.WITHDRAWN
    assert notice.withdrawn_reason == "名单有误，重新评议"
    with pytest.raises(NoticeError):
        objections.file_objection(notice, "还能提吗")
    with pytest.raises(NoticeError, match="已撤回"):
        objections.finalize(users["county"], notice, "结果公告", "")


def test_every_step_is_in_the_audit_log_with_its_region(app, users, register, clock) -> None:
    notice = published(users["county"])
    case, _ = objections.file_objection(notice, "有车有房")
    objections.rule(users["county"], notice, case.id, "upheld", "属实")
    clock.set(clock.day(8))
    objections.finalize(users["county"], notice, "结果公告", "")
    entries = db.session.execute(select(AuditEntry).where(
        AuditEntry.object_type == "notice")).scalars().all()
    assert [e.action for e in entries] == ["notice_created", "notice_entries_added",
                                          "notice_published", "notice_objection_ruled",
                                          "notice_announced"]
    assert {e.region_code for e in entries} == {VILLAGE}
    assert {e.actor_name for e in entries} == {"staff-county"}


def test_project_and_fund_notices_link_published_records(app, users, regions, clock) -> None:
    from decimal import Decimal

    from sunshine.projects.models import Project
    from sunshine.records.models import State

    project = Project(name="村道硬化", category="基础设施", region_code=TOWN_VILLAGE, year=2026,
                      budget=Decimal("120000"), implementing_unit="镇人民政府",
                      state=State.PUBLISHED.value, beneficiary_households=40,
                      beneficiary_people=160)
    hidden = Project(name="草稿项目", category="基础设施", region_code=TOWN_VILLAGE, year=2026,
                     budget=Decimal("1"), implementing_unit="镇", state=State.DRAFT.value)
    db.session.add_all([project, hidden])
    db.session.commit()
    notice = draft(users["county"], kind=NoticeKind.PROJECT, region=SAMPLE["county"], year=None,
                   title="项目公示")
    assert [p.id for p in drafting.record_candidates(users["county"], notice)] == [project.id]
    with pytest.raises(NoticeError):
        services.publish(users["county"], notice)
    with pytest.raises(NoticeError):
        drafting.link_record(users["county"], notice, hidden.id)
    link = drafting.link_record(users["county"], notice, project.id)
    assert link.url == f"/projects/{project.id}" and "受益 40 户 160 人" in link.detail
    services.publish(users["county"], notice)
    assert services.state(notice) is NoticeState.OPEN
    assert periods.minimum_end(NoticeKind.PROJECT, START) == notice.end_on
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 1
    assert Ruling.UPHELD.label == "成立"
