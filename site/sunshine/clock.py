"""China time: deadlines, disclosure periods and yearly figures are counted in China dates,
while instants are stored in UTC. The one place that knows the zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from sunshine.database import utcnow

#: China Standard Time: UTC+8 all year, no daylight saving.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_date(moment: datetime) -> date:
    """The date in China at an instant; a naive instant is taken as UTC (as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).date()


def today(now: datetime | None = None) -> date:
    """The date in China now (or at ``now``)."""
    return china_date(now or utcnow())


def this_year() -> int:
    return today().year


def day_start(day: date) -> datetime:
    """00:00 China time of ``day``, as a UTC instant."""
    return datetime.combine(day, time(0), CHINA).astimezone(UTC)
