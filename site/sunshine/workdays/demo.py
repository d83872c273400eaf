"""Demo data: the national public holidays of 2025 and 2026 and the weekend days worked in
exchange, as the State Council's notices for those years gave them. A real
office enters each year's from the notice itself."""

from __future__ import annotations

from datetime import date, timedelta

from sunshine.demo.services import DemoContext
from sunshine.extensions import db
from sunshine.workdays.models import CalendarDay

#: (name, first day off, last day off, weekend days worked in exchange)
HOLIDAYS: list[tuple[str, date, date, list[date]]] = [
    ("元旦", date(2025, 1, 1), date(2025, 1, 1), []),
    ("春节", date(2025, 1, 28), date(2025, 2, 4), [date(2025, 1, 26), date(2025, 2, 8)]),
    ("清明节", date(2025, 4, 4), date(2025, 4, 6), []),
    ("劳动节", date(2025, 5, 1), date(2025, 5, 5), [date(2025, 4, 27)]),
    ("端午节", date(2025, 5, 31), date(2025, 6, 2), []),
    ("国庆节、中秋节", date(2025, 10, 1), date(2025, 10, 8),
     [date(2025, 9, 28), date(2025, 10, 11)]),
    ("元旦", date(2026, 1, 1), date(2026, 1, 3), [date(2026, 1, 4)]),
    ("春节", date(2026, 2, 15), date(2026, 2, 23), [date(2026, 2, 14), date(2026, 2, 28)]),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6), []),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5), [date(2026, 5, 9)]),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21), []),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27), []),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7), [date(2026, 9, 20), date(2026, 10, 10)]),
]


def demo_calendar(ctx: DemoContext) -> None:
    days = 0
    for name, first, last, worked in HOLIDAYS:
        day = first
        while day <= last:
            db.session.add(CalendarDay(day=day, working=False, name=name))
            day += timedelta(days=1)
            days += 1
        for day in worked:
            db.session.add(CalendarDay(day=day, working=True, name=f"{name}调休"))
            days += 1
    db.session.flush()
    ctx.summary["calendar_days"] = days
