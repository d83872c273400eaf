"""The private register (households and members) and the public rollups built from it.

A household's archive number (档案编号) is its primary key: the 12-digit village code followed by
a 4-digit serial, so a village's households (and a county's) are one contiguous key range. The
status history is kept as event years (0 = never), from which ``vocab.status_in`` gives the
status at the end of any year; income and measures by year are kept as short text.

ID numbers are never stored: only a keyed hash (to find a person and refuse duplicates) and a
masked form for staff (see docs/decisions.md, "Statistics").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.stats import vocab
from sunshine.stats.members import Member
from sunshine.stats.members import unpack as unpack_members

#: SQLite only makes an INTEGER PRIMARY KEY the table's own (clustered) row id.
ArchiveNumber = BigInteger().with_variant(Integer(), "sqlite")


class Household(db.Model):  # type: ignore[name-defined]
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(ArchiveNumber, primary_key=True, autoincrement=False)
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    main_cause: Mapped[int] = mapped_column(SmallInteger)
    other_causes: Mapped[int] = mapped_column(Integer, default=0)  # bit c-1 for cause c
    size: Mapped[int] = mapped_column(SmallInteger)
    entered: Mapped[int] = mapped_column(SmallInteger)
    exited: Mapped[int] = mapped_column(SmallInteger, default=0)
    returned: Mapped[int] = mapped_column(SmallInteger, default=0)
    reexited: Mapped[int] = mapped_column(SmallInteger, default=0)
    removed: Mapped[int] = mapped_column(SmallInteger, default=0)
    measures: Mapped[int] = mapped_column(Integer, default=0)  # bit i: MEASURES[i], any year
    measure_years: Mapped[str] = mapped_column(String(400), default="")  # 产业扶持:2015、2016;…
    income: Mapped[str] = mapped_column(String(200), default="")  # "2014:2300;2015:2810.50"
    cadre: Mapped[str] = mapped_column(String(40), default="")
    cadre_unit: Mapped[str] = mapped_column(String(100), default="")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    village: Mapped[Region] = relationship(lazy="joined")
    member_list: Mapped[MemberList | None] = relationship(lazy="select")

    @property
    def members(self) -> list[Member]:
        """Its members by relation to the head (the head first), in file order within one."""
        if self.member_list is None:
            return []
        return sorted(unpack_members(self.member_list.packed), key=lambda m: m.relation)

    @property
    def archive_number(self) -> str:
        return f"{self.id:016d}"

    @property
    def events(self) -> tuple[int, int, int, int, int]:
        return self.entered, self.exited, self.returned, self.reexited, self.removed

    def status_in(self, year: int) -> str | None:
        return vocab.status_in(year, *self.events)

    @property
    def status(self) -> str:
        return self.status_in(vocab.LAST_YEAR) or vocab.NEW

    def history(self) -> list[tuple[int, str]]:
        """(year, status) from the year it entered the register."""
        return [(y, s) for y in vocab.YEARS if (s := self.status_in(y)) is not None]

    @property
    def main_cause_label(self) -> str:
        return vocab.CAUSES[self.main_cause - 1]

    @property
    def other_cause_labels(self) -> list[str]:
        return [label for i, label in enumerate(vocab.CAUSES) if self.other_causes >> i & 1]

    def measures_by_year(self) -> list[tuple[str, str]]:
        """(measure, years) as imported, e.g. ("产业扶持", "2015、2016")."""
        out = []
        for part in filter(None, self.measure_years.split(";")):
            name, _, years = part.partition(":")
            out.append((name, years))
        return out

    def income_by_year(self) -> list[tuple[int, str]]:
        out = []
        for part in filter(None, self.income.split(";")):
            year, _, amount = part.partition(":")
            out.append((int(year), amount))
        return out


class MemberList(db.Model):  # type: ignore[name-defined]
    """A household's members, packed into one row (``members.py`` says why and how)."""

    __tablename__ = "household_members"

    household_id: Mapped[int] = mapped_column(ArchiveNumber, ForeignKey("household.id"),
                                              primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(SmallInteger)
    packed: Mapped[str] = mapped_column(Text)


class MemberId(db.Model):  # type: ignore[name-defined]
    """Who is registered where: the keyed hash of an ID number (``idnumbers.id_hasher``) and
    the household of its member. The key refuses a person in two households and finds a
    person's household; it reveals nothing. Written only with the household's
    ``MemberList`` row, which carries the foreign key."""

    __tablename__ = "member_id"
    __table_args__ = {"sqlite_with_rowid": False}

    id_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    household_id: Mapped[int] = mapped_column(BigInteger)


class Rollup(db.Model):  # type: ignore[name-defined]
    """One region's counts (``layout.Layout`` order, little-endian int32) and, per cell,
    whether it may be published (``disclosure`` statuses, one byte each)."""

    __tablename__ = "stats_rollup"
    __table_args__ = (Index("ix_stats_rollup_level_code", "level", "region_code"),)

    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    cells: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[bytes] = mapped_column(LargeBinary)
    build_id: Mapped[int] = mapped_column(Integer, default=0)


class RuralPopulation(db.Model):  # type: ignore[name-defined]
    """A region's rural population (for 贫困发生率), where it is known."""

    __tablename__ = "stats_population"

    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True)
    people: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200), default="")


class Build(db.Model):  # type: ignore[name-defined]
    """Each rollup build: when, what, and whether its totals matched the register."""

    __tablename__ = "stats_build"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # full, incremental
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seconds: Mapped[float] = mapped_column(default=0.0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    people: Mapped[int] = mapped_column(Integer, default=0)
    synthetic: Mapped[int] = mapped_column(Integer, default=0)  # made-up households among them
    regions: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    detail: Mapped[str] = mapped_column(Text, default="")
