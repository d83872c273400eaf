"""The working-day calendar: counting skips its holidays and counts its exchanged weekend
days, for complaints, notices and disclosure deadlines alike; keeping it is validated and
audited. Also run on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from sunshine.accounts.models import Role
from sunshine.audit import AuditEntry
from sunshine.complaints import services as complaints
from sunshine.extensions import db
from sunshine.notices import periods
from sunshine.notices.models import NoticeKind
from sunshine.records.deadlines import config_deadline
from sunshine.workdays import services
from sunshine.workdays.models import CalendarDay
from tests.factories import make_user

pytestmark = pytest.mark.postgres

#: 2026's National Day: 1–7 October off, Sunday 20 September and Saturday 10 October worked.
NATIONAL_DAY = [date(2026, 10, d) for d in range(1, 8)]
WORKED = [date(2026, 9, 20), date(2026, 10, 10)]


@pytest.fixture
def admin(app, regions):  # type: ignore[no-untyped-def]
    return make_user("root-admin", Role.ADMIN, None)


@pytest.fixture
def national_day(admin):  # type: ignore[no-untyped-def]
    for day in NATIONAL_DAY:
        services.save_day(admin, day, False, "国庆节")
    for day in WORKED:
        services.save_day(admin, day, True, "国庆节调休")
    db.session.commit()


def test_without_a_calendar_only_weekends_are_skipped(app) -> None:
    assert services.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 1)
    assert services.add_working_days(date(2026, 10, 2), 1) == date(2026, 10, 5)  # Fri → Mon
    assert services.add_working_days(date(2026, 10, 2), 0) == date(2026, 10, 2)


def test_holidays_are_skipped_and_exchanged_weekend_days_count(national_day) -> None:
    assert services.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert services.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)  # a Saturday
    assert services.add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)  # a Sunday
    # Calendar days are untouched by it.
    assert services.add_days(date(2026, 9, 30), 3) == date(2026, 10, 3)


def test_a_run_of_holidays_longer_than_the_first_look_is_read_on(admin) -> None:
    start = date(2027, 3, 1)
    for n in range(80):  # 80 days off in a row: past the first window of 2 × 1 + 31 days
        services.save_day(admin, start + timedelta(days=n), False, "测试假期")
    db.session.commit()
    after = start + timedelta(days=79)
    expected = after + timedelta(days=1)
    while expected.weekday() >= 5:
        expected += timedelta(days=1)
    assert services.add_working_days(start - timedelta(days=1), 1) == expected


def test_an_instant_counts_from_its_china_date_and_keeps_its_time(app) -> None:
    # Friday 20:00 UTC is Saturday 04:00 in China: one working day later is Monday 04:00.
    friday_evening = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert services.add_days(friday_evening, 1, working_days=True) == \
        datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    assert services.add_days(friday_evening, 1) == friday_evening + timedelta(days=1)


def test_every_deadline_in_working_days_reads_the_calendar(app, national_day) -> None:
    app.config.update(NOTICE_PERIOD_WORKING_DAYS=True, FUNDS_DISCLOSURE_WORKING_DAYS=True,
                      FUNDS_DISCLOSURE_DAYS=2, COMPLAINT_REPLY_WORKING_DAYS=True,
                      COMPLAINT_REPLY_DAYS=2)
    # A 7-day notice from Monday 28 September: 28, 29, 30 Sep, 8, 9, 10 (Saturday), 12 Oct.
    assert periods.minimum_end(NoticeKind.IDENTIFICATION, date(2026, 9, 28)) == date(2026, 10, 12)
    assert config_deadline(date(2026, 9, 30), "FUNDS") == date(2026, 10, 9)
    morning = datetime(2026, 9, 30, 1, 0, tzinfo=UTC)  # 09:00 in China
    assert complaints.reply_deadline(morning) == datetime(2026, 10, 9, 1, 0, tzinfo=UTC)
    app.config.update(NOTICE_PERIOD_WORKING_DAYS=False)
    assert periods.minimum_end(NoticeKind.IDENTIFICATION, date(2026, 9, 28)) == date(2026, 10, 4)


def test_saving_a_day_again_changes_it_and_every_change_is_audited(admin) -> None:
    services.save_day(admin, date(2027, 2, 8), False, " 春节 ")
    db.session.commit()
    services.save_day(admin, date(2027, 2, 8), False, "春节（除夕）")
    assert services.remove_day(admin, date(2027, 2, 9)) is False
    db.session.commit()
    entry = db.session.get(CalendarDay, date(2027, 2, 8))
    assert entry is not None and entry.name == "春节（除夕）" and not entry.working
    assert services.remove_day(admin, date(2027, 2, 8)) is True
    db.session.commit()
    assert db.session.get(CalendarDay, date(2027, 2, 8)) is None
    audit = list(db.session.execute(select(AuditEntry.action, AuditEntry.detail)
                                    .where(AuditEntry.object_type == "calendar_day")
                                    .order_by(AuditEntry.id)))
    assert audit == [("calendar_day_saved", "放假（春节）"),
                     ("calendar_day_saved", "放假（春节） → 放假（春节（除夕））"),
                     ("calendar_day_removed", "放假（春节（除夕））")]
    assert [d.day.year for d in services.days_of(2027)] == []


@pytest.mark.parametrize(("day", "working", "name", "message"), [
    (date(2027, 2, 10), True, "春节调休", "周一至周五本来就是工作日"),  # a Wednesday
    (date(2027, 2, 13), True, "", "请填写节日名称"),
    (date(2027, 2, 13), True, "长" * 41, "请填写节日名称"),
    (date(2013, 2, 9), False, "春节", "年份应在"),
])
def test_a_day_that_cannot_be_saved_says_why(admin, day, working, name, message) -> None:
    with pytest.raises(services.CalendarError) as caught:
        services.save_day(admin, day, working, name)
    assert message in caught.value.message
    db.session.rollback()
    assert db.session.scalar(select(CalendarDay.day)) is None


def test_a_holiday_may_fall_on_a_weekend_and_counts_the_same(admin) -> None:
    services.save_day(admin, date(2026, 10, 3), False, "国庆节")  # a Saturday
    db.session.commit()
    assert services.add_working_days(date(2026, 10, 2), 1) == date(2026, 10, 5)
    assert services.years_entered() == [2026]
