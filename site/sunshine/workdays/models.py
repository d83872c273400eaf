"""A day that does not follow the Monday-to-Friday rule."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db


class CalendarDay(db.Model):  # type: ignore[name-defined]
    """A public holiday on a weekday (放假, ``working`` false), or a weekend day worked in
    exchange for one (调休上班, ``working`` true). Every other day is a working day from
    Monday to Friday."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return "调休上班" if self.working else "放假"
