"""The figures of the public compliance page: per office and year, requests received, answered,
on time, by outcome and the median working days (the scoreboard); beside them the region's
disclosure timeliness of funds and of projects, and the complaints' reply timeliness.

Every figure comes from one aggregate or column query, so that the page stays within its
budget of statements and never loads a request as an object.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select, union_all

from sunshine.clock import day_start
from sunshine.extensions import db
from sunshine.funds import queries as funds
from sunshine.funds.models import Fund
from sunshine.pagecache import memo
from sunshine.projects.models import Project
from sunshine.records.models import State
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.requests.models import RUNNING, InfoRequest, Office, OfficeKind, Outcome


@dataclass
class Counts:
    """One office's requests of a year (or a whole region's), as the scoreboard counts them."""

    received: int = 0
    answered: int = 0
    on_time: int = 0
    late: int = 0
    overdue_open: int = 0
    by_outcome: dict[Outcome, int] = field(default_factory=dict)
    days: list[int] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        done = self.on_time + self.late
        return round(100 * self.on_time / done, 1) if done else None

    @property
    def median_days(self) -> float | None:
        return float(statistics.median(self.days)) if self.days else None

    def add(self, row: Any, today: date) -> None:
        """Count one request (a row of :func:`scoreboard`'s columns)."""
        self.received += 1
        if row.outcome is not None:
            self.answered += 1
            self.by_outcome[row.outcome] = self.by_outcome.get(row.outcome, 0) + 1
            if row.answered_on_time:
                self.on_time += 1
            else:
                self.late += 1
            if row.working_days is not None:
                self.days.append(row.working_days)
        elif row.status in RUNNING and row.deadline < today:
            self.overdue_open += 1
            self.late += 1


@dataclass
class Score(Counts):
    """An office's counts, with the office."""

    office: Office = field(kw_only=True)


def _received_in(year: int, lo: str, hi: str) -> list[ColumnElement[bool]]:
    start, end = day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))
    return [InfoRequest.held.is_(False), InfoRequest.received_at >= start,
            InfoRequest.received_at < end, InfoRequest.office_region_code.between(lo, hi)]


def scoreboard(region: Region, children: list[Region], year: int,
               today: date) -> tuple[Score, list[Score]]:
    """The requests received in ``year`` by the offices of ``region``'s subtree: their total,
    and a row per office of the region itself and of its ``children`` (deeper offices are on
    their children's pages). Counted by ``_counted``, remembered per worker until a request
    in the subtree changes or the day."""
    shown = {r.code: r for r in (region, *children)}
    at = memo.versions([("requests", region.code)])
    total, counted = memo.remember(
        "compliance-scoreboard", (region.code, tuple(shown), year, today), at,
        lambda: _counted(region.code, list(shown), year, today), size=256)
    return (Score(office=Office(region, OfficeKind.GOVERNMENT), **vars(total)),
            [Score(office=Office(shown[code], kind), **vars(counts))
             for (code, _), kind, counts in counted])


def _counted(code: str, offices: list[str], year: int,
             today: date) -> tuple[Counts, list[tuple[tuple[str, str], OfficeKind, Counts]]]:
    """The subtree's total (one aggregate query) and the counts of each office of the
    ``offices`` regions (one query of the columns counted), by office key."""
    lo, hi = codes.subtree_bounds(code)
    answered = InfoRequest.outcome.is_not(None)
    overdue = InfoRequest.status.in_(RUNNING) & (InfoRequest.deadline < today) & ~answered
    received, done, on_time, late_open = db.session.execute(select(
        func.count(), func.count(InfoRequest.outcome),
        func.sum(case((answered & InfoRequest.answered_on_time.is_(True), 1), else_=0)),
        func.sum(case((overdue, 1), else_=0))).where(*_received_in(year, lo, hi))).one()
    total = Counts(received=received, answered=done, on_time=int(on_time or 0),
                   overdue_open=int(late_open or 0))
    total.late = done - total.on_time + total.overdue_open
    rows = db.session.execute(select(
        InfoRequest.office_region_code, InfoRequest.office_kind, InfoRequest.status,
        InfoRequest.deadline, InfoRequest.outcome, InfoRequest.answered_on_time,
        InfoRequest.working_days).where(*_received_in(year, lo, hi),
                                        InfoRequest.office_region_code.in_(offices)))
    counted: dict[tuple[str, str], tuple[OfficeKind, Counts]] = {}
    for row in rows:
        key = (row.office_region_code, row.office_kind.value)
        if key not in counted:
            counted[key] = (row.office_kind, Counts())
        counted[key][1].add(row, today)
    return total, [(key, *counted[key]) for key in sorted(counted)]


#: Disclosure timeliness counts drafts too: every write to money or projects changes it.
DISCLOSURE_SCOPES = (("funds", None), ("projects", None))


def disclosure(region: Region, today: date) -> dict[str, funds.Timeliness]:
    """The funds and the projects of the region's counties: published on time over everything
    due, as the funds' timeliness page counts them. An aggregate over every record of the
    subtree (the province's is most of the compliance page's time), remembered per worker
    until money or projects change, or the day."""
    at = memo.versions(DISCLOSURE_SCOPES)
    return memo.remember("compliance-disclosure", (region.code, today), at,
                         lambda: _disclosure(region, today), size=256)


def _disclosure(region: Region, today: date) -> dict[str, funds.Timeliness]:
    """``disclosure`` computed (one query)."""
    lo, hi = codes.subtree_bounds(region.code)

    def part(model: type[Fund] | type[Project], name: str) -> Select[Any]:
        on_time = func.sum(case((model.published_on <= model.deadline, 1), else_=0))
        late_drafts = func.sum(case((model.state == State.DRAFT.value, 1), else_=0))
        return select(literal(name), func.count(), on_time, late_drafts).where(
            model.deadline.is_not(None), model.county_code.between(lo, hi),
            (model.state != State.DRAFT.value) | (model.deadline < today))

    found = {"funds": funds.Timeliness(), "projects": funds.Timeliness()}
    for name, due, on_time, late_drafts in db.session.execute(
            union_all(part(Fund, "funds"), part(Project, "projects"))):
        found[name] = funds.Timeliness(int(due), int(on_time or 0), int(late_drafts or 0))
    return found
