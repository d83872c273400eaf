"""China time: dates are counted at UTC+8, whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sunshine import clock


def test_the_china_date_turns_at_16_00_utc() -> None:
    assert clock.china_date(datetime(2024, 6, 1, 15, 59, tzinfo=UTC)) == date(2024, 6, 1)
    assert clock.china_date(datetime(2024, 6, 1, 16, 0, tzinfo=UTC)) == date(2024, 6, 2)
    assert clock.china_date(datetime(2024, 6, 1, 16, 0)) == date(2024, 6, 2)  # naive is UTC


def test_today_at_an_instant_and_now() -> None:
    assert clock.today(datetime(2024, 12, 31, 17, 0, tzinfo=UTC)) == date(2025, 1, 1)
    assert clock.today() == datetime.now(clock.CHINA).date()
    assert clock.this_year() == clock.today().year


def test_a_day_starts_at_midnight_china_time() -> None:
    assert clock.day_start(date(2024, 6, 2)) == datetime(2024, 6, 1, 16, 0, tzinfo=UTC)
    assert clock.china_date(clock.day_start(date(2024, 6, 2))) == date(2024, 6, 2)
