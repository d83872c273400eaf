"""The legal clock with explicit instants: 20 working days, one extension, 补正 restarting the
clock, the third party's time not counted, holidays and weekend working days from the calendar,
the periods from configuration, and overdue flags. Also run on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.notify.models import Message
from sunshine.requests import handling, periods, services, sweep
from sunshine.requests.models import EventType, Outcome, Status
from sunshine.requests.services import RequestError
from sunshine.workdays.models import CalendarDay
from tests.requests.conftest import EMAIL, MONDAY, china, file

pytestmark = pytest.mark.postgres


def test_the_answer_is_due_20_working_days_after_receipt(app, regions) -> None:
    info, _ = file(now=MONDAY)
    assert info.clock_start == date(2026, 11, 2)
    assert info.deadline == date(2026, 11, 30)  # four weeks of weekdays, the day after counted
    # A request on Friday evening: the weekend does not count.
    info, _ = file(now=china(11, 6))
    assert info.deadline == date(2026, 12, 4)


def test_holidays_and_weekend_working_days_move_the_deadline(app, regions) -> None:
    db.session.add(CalendarDay(day=date(2026, 11, 10), working=False, name="测试假日"))
    db.session.commit()
    assert file(now=MONDAY)[0].deadline == date(2026, 12, 1)
    db.session.add(CalendarDay(day=date(2026, 11, 14), working=True, name="调休上班"))
    db.session.commit()
    assert file(now=MONDAY)[0].deadline == date(2026, 11, 30)


def test_the_periods_are_configuration(app, regions) -> None:
    app.config.update(REQUEST_REPLY_DAYS=15, REQUEST_WORKING_DAYS=False)
    assert file(now=MONDAY)[0].deadline == date(2026, 11, 17)
    app.config.update(REQUEST_REPLY_DAYS=5, REQUEST_WORKING_DAYS=True)
    assert file(now=MONDAY)[0].deadline == date(2026, 11, 9)


def test_one_extension_of_at_most_20_days_with_a_reason(app, regions, users) -> None:
    info, _ = file(now=MONDAY)
    staff = users["county"]
    with pytest.raises(RequestError, match="理由"):
        handling.extend(info, staff, 20, " ", now=china(11, 20))
    with pytest.raises(RequestError, match="1–20"):
        handling.extend(info, staff, 21, "资料在档案馆", now=china(11, 20))
    handling.extend(info, staff, 20, "资料在档案馆", now=china(11, 20))
    assert info.deadline == date(2026, 12, 28)
    assert info.events[-1].type is EventType.EXTENDED and info.events[-1].public
    assert "资料在档案馆" in info.events[-1].text
    with pytest.raises(RequestError, match="只能延长一次"):
        handling.extend(info, staff, 5, "再延长", now=china(11, 23))


def test_no_extension_after_the_deadline(app, regions, users) -> None:
    info, _ = file(now=MONDAY)
    with pytest.raises(RequestError, match="期限已过"):
        handling.extend(info, users["county"], 10, "来不及了", now=china(12, 1))


def test_an_amend_request_stops_the_clock_and_the_answer_restarts_it(app, regions,
                                                                      users) -> None:
    info, _ = file(now=MONDAY)
    handling.ask_amend(info, users["county"], "请写明是哪一个村", now=china(11, 4))
    assert info.status is Status.AMEND
    # No overdue flag while the applicant has the request: the clock is stopped.
    assert sweep.mark_overdue(china(12, 10)) == 0
    services.amend(info, "是第一村", now=china(11, 16))
    assert info.status is Status.RECEIVED
    assert info.clock_start == date(2026, 11, 16)
    assert info.deadline == date(2026, 12, 14)  # 20 working days from the amendment
    with pytest.raises(RequestError, match="只能要求补正一次"):
        handling.ask_amend(info, users["county"], "再补正", now=china(11, 17))


def test_amend_is_asked_within_7_working_days_of_receipt(app, regions, users) -> None:
    info, _ = file(now=MONDAY)
    assert periods.amend_window_end(info) == date(2026, 11, 11)
    with pytest.raises(RequestError, match="7 天后"):
        handling.ask_amend(info, users["county"], "请写明是哪一个村", now=china(11, 12))
    handling.ask_amend(info, users["county"], "请写明是哪一个村", now=china(11, 11))
    assert info.status is Status.AMEND


def test_an_unanswered_amend_request_lapses_after_its_period(app, regions, users) -> None:
    info, _ = file(now=MONDAY)
    handling.ask_amend(info, users["county"], "请写明是哪一个村", now=china(11, 4))
    assert periods.amend_lapses_on(info) == date(2026, 11, 25)
    lapse = handling.Answer(Outcome.LAPSED, "no_amend", "逾期未补正，视为放弃申请。")
    with pytest.raises(RequestError, match="补正期限过后"):
        handling.answer(info, users["county"], lapse, now=china(11, 25))
    handling.answer(info, users["county"], lapse, now=china(11, 26))
    assert info.status is Status.ANSWERED and info.outcome is Outcome.LAPSED


def test_the_sweep_closes_an_unanswered_amend_request_once_and_tells_the_applicant(
        app, regions, users) -> None:
    """Holidays in the 补正 period move the day it lapses; the sweep closes the request the
    day after, as 逾期未补正, with a mail, and a second run finds nothing."""
    db.session.add(CalendarDay(day=date(2026, 11, 20), working=False, name="测试假日"))
    db.session.commit()
    info, _ = file(now=MONDAY)
    other, _ = file(now=MONDAY)
    handling.ask_amend(info, users["county"], "请写明是哪一个村", now=china(11, 4))
    handling.ask_amend(other, users["county"], "请写明是哪一年", now=china(11, 4))
    services.amend(other, "是 2024 年", now=china(11, 10))  # answered: never lapses
    assert periods.amend_lapses_on(info) == date(2026, 11, 26)  # 15 working days, holiday
    assert sweep.run(china(11, 26)) == (0, 0)  # the last day of the period
    mails = db.session.scalar(select(func.count()).select_from(Message)) or 0
    assert sweep.run(china(11, 27)) == (0, 1)
    assert info.status is Status.ANSWERED and info.outcome is Outcome.LAPSED
    assert info.basis == "no_amend" and info.answered_on_time is True
    assert info.events[-1].type is EventType.ANSWERED and info.events[-1].public
    assert "逾期未补正" in info.events[-1].text
    assert other.status is Status.RECEIVED
    told = db.session.execute(select(Message).order_by(Message.id.desc())).scalars().first()
    assert (db.session.scalar(select(func.count()).select_from(Message)) or 0) == mails + 1
    assert told is not None and told.recipient == EMAIL and "已答复" in told.subject
    assert sweep.run(china(11, 30)) == (0, 0)
    assert sweep.run(china(12, 30)) == (1, 0)  # the amended one, now overdue


def test_the_overdue_command_also_closes_lapsed_amend_requests(app, regions, users,
                                                               runner) -> None:
    info, _ = file(now=china(10, 1))
    info.status, info.amend_asked_on = Status.AMEND, date(2026, 10, 2)
    db.session.commit()
    output = runner.invoke(args=["requests", "overdue"]).output
    assert "逾期未补正、视为放弃 1 件" in output
    assert info.outcome is Outcome.LAPSED
    assert "视为放弃 0 件" in runner.invoke(args=["requests", "overdue"]).output


def test_third_party_consultation_is_not_counted(app, regions, users) -> None:
    info, _ = file(now=MONDAY)
    handling.start_consult(info, users["county"], "项目施工企业", now=china(11, 9))
    assert info.status is Status.CONSULTING
    assert info.deadline == date(2026, 12, 21)  # the whole allowance, while it runs
    handling.end_consult(info, users["county"], now=china(11, 16))
    assert info.paused_days == 5
    assert info.deadline == date(2026, 12, 7)  # 20 + 5 working days


def test_consultation_beyond_15_working_days_counts_again(app, regions, users) -> None:
    info, _ = file(now=MONDAY)
    handling.start_consult(info, users["county"], "项目施工企业", now=china(11, 3))
    handling.end_consult(info, users["county"], now=china(12, 3))
    assert info.paused_days == 15
    assert info.deadline == date(2026, 12, 21)
    with pytest.raises(RequestError, match="用完"):
        handling.start_consult(info, users["county"], "另一家企业", now=china(12, 4))


def test_overdue_requests_are_flagged_once_and_answers_record_lateness(app, regions,
                                                                       users) -> None:
    info, _ = file(now=MONDAY)
    assert sweep.mark_overdue(china(11, 30)) == 0  # due today: not late yet
    assert sweep.mark_overdue(china(12, 1)) == 1
    assert sweep.mark_overdue(china(12, 2)) == 0
    assert info.was_overdue and info.overdue(date(2026, 12, 1))
    handling.answer(info, users["county"], handling.Answer(
        Outcome.DISCLOSED, "open", "现予公开，见附表。"), now=china(12, 3))
    assert info.answered_on_time is False and info.working_days == 23
    on_time, _ = file(now=MONDAY)
    handling.answer(on_time, users["county"], handling.Answer(
        Outcome.DISCLOSED, "open", "现予公开。"), now=china(11, 30))
    assert on_time.answered_on_time is True and on_time.working_days == 20


def test_the_story_extend_then_answer_partly(app, regions, users) -> None:
    """A county office extends once and answers 部分公开 with what was withheld and why."""
    info, code = file(now=MONDAY)
    staff = users["county"]
    handling.extend(info, staff, 10, "涉及多个年度的账目", now=china(11, 25))
    assert info.deadline == date(2026, 12, 14)
    with pytest.raises(RequestError, match="不予公开的部分"):
        handling.answer(info, staff, handling.Answer(Outcome.PARTIAL, "third_party", "见附件"),
                        now=china(12, 10))
    with pytest.raises(RequestError, match="法律依据"):
        handling.answer(info, staff, handling.Answer(Outcome.PARTIAL, "", "见附件",
                                                     withheld="报价单"), now=china(12, 10))
    handling.answer(info, staff, handling.Answer(Outcome.PARTIAL, "third_party", "见附件",
                                                 withheld="施工企业报价单"), now=china(12, 10))
    assert info.outcome is Outcome.PARTIAL and info.answered_on_time
    assert info.basis_entry is not None and info.basis_entry.article == "第十五条"
    assert services.find_by_code(code) is info


def test_the_overdue_command_flags_late_requests(app, regions, runner) -> None:
    file(now=MONDAY)
    result = runner.invoke(args=["requests", "overdue"])
    assert result.exit_code == 0 and "新标记逾期申请 1 件" in result.output
    assert "新标记逾期申请 0 件" in runner.invoke(args=["requests", "overdue"]).output
