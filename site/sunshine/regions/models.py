"""The Region table."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from sunshine.extensions import db
from sunshine.regions.codes import LEVEL_NAMES


class Region(db.Model):  # type: ignore[name-defined]
    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("region.code"), index=True, default=None
    )
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    # Towns and villages made up by the demo generator, so that nobody mistakes them for real.
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "level": self.level,
                "level_name": self.level_name}

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"
