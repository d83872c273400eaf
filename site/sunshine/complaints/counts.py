"""The counts behind the complaint statistics and what of them may be published.

The figures of a year are one vector per region, laid out like the household statistics'
(``stats.layout.Layout``): cases by month and kind, by month and problem category, and the
totals of each month, kind, category and the year, with the identities between them. A
region's vector is the sum of its children's and of its own cases (those filed about the
region itself, a county or a town, shown as a row "本级" beside its children), so that the
sums of siblings hold exactly.

Which figures are hidden is decided by the household statistics' disclosure control
(``stats.disclosure``), for the whole province at once: a figure is hidden or shown the same
way on every region's page, in the CSV and in the API, and no hidden small count follows from
a total minus its siblings, from a row or column total, or from two published figures that
differ by a few cases.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import or_, select

from sunshine.clock import CHINA
from sunshine.complaints.models import CATEGORIES, Case, Kind, Moderation
from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.stats import disclosure
from sunshine.stats.layout import ALL_LEVELS, CellSpec, Layout
from sunshine.stats.tree import Tree, protect

KINDS = [Kind.COMPLAINT, Kind.REPORT, Kind.SUGGESTION, Kind.RATING, Kind.OBJECTION]
#: Marks the row of a region's own cases in the region tree ("本级").
OWN = "+"


@cache
def layout_for(months: int) -> Layout:
    """The cells of a year with ``months`` months so far (a month to come is no cell: everybody
    knows that it counts nothing). Totals cost the most to hide, month × kind cells the least."""
    lay = Layout(name=f"complaints-{months}")
    lay.add(CellSpec(("all",), ALL_LEVELS, cost=3))
    for kind in KINDS:
        lay.add(CellSpec(("kind", kind.value), ALL_LEVELS, cost=2))
    for category in CATEGORIES:
        lay.add(CellSpec(("category", category), ALL_LEVELS, cost=2))
    month_range = range(1, months + 1)
    for m in month_range:
        lay.add(CellSpec(("month", m), ALL_LEVELS, cost=2))
        for kind in KINDS:
            lay.add(CellSpec(("month_kind", m, kind.value), ALL_LEVELS))
        for category in CATEGORIES:
            lay.add(CellSpec(("month_category", m, category), ALL_LEVELS))
    lay.relate([("all",)], [("kind", kind.value) for kind in KINDS])
    lay.relate([("all",)], [("category", category) for category in CATEGORIES])
    lay.relate([("all",)], [("month", m) for m in month_range])
    for m in month_range:
        lay.relate([("month", m)], [("month_kind", m, kind.value) for kind in KINDS])
        lay.relate([("month", m)], [("month_category", m, c) for c in CATEGORIES])
    for kind in KINDS:
        lay.relate([("kind", kind.value)], [("month_kind", m, kind.value) for m in month_range])
    for category in CATEGORIES:
        lay.relate([("category", category)], [("month_category", m, category)
                                              for m in month_range])
    # What the ones above add up to, which the checks of one identity at a time would miss: a
    # month × kind figure equal to the year's total says that every other one is zero.
    lay.relate([("all",)], [("month_kind", m, kind.value) for m in month_range for kind in KINDS])
    lay.relate([("all",)], [("month_category", m, c) for m in month_range for c in CATEGORIES])
    return lay


def add_case(vector: array, lay: Layout, month: int, kind: Kind, category: str) -> None:
    """Count one case in a vector of ``lay``."""
    for key in (("all",), ("kind", kind.value), ("category", category), ("month", month),
                ("month_kind", month, kind.value), ("month_category", month, category)):
        index = lay.get(*key)
        if index is not None:  # a category no longer offered counts in the totals only
            vector[index] += 1


@dataclass
class Counts:
    """Every region's figures of one year and the decisions on them."""

    year: int
    months: int
    k: int
    layout: Layout
    tree: Tree
    vectors: dict[str, array]
    status: dict[str, bytearray]

    def status_of(self, code: str) -> bytes:
        """The decisions for a region. A region with no case beneath a region with none was
        not settled on its own: its figures are all small, hidden like its nearest settled
        ancestor's (what settling its family would decide)."""
        found = self.status.get(code)
        at = code
        while found is None and at:
            at = at.removesuffix(OWN) if at.endswith(OWN) else codes.parent_of(at) or ""
            found = self.status.get(at)
        return bytes(found) if found is not None else bytes([disclosure.SMALL]) * self.layout.size

    def figure(self, code: str, *key: object) -> disclosure.Figure:
        """One public figure of a region (``code + OWN`` for its own cases)."""
        vector = self.vectors.get(code) or array("i", bytes(4 * self.layout.size))
        return disclosure.figure(vector, self.status_of(code), self.layout(*key), self.k)


def months_of(year: int, now: datetime) -> int:
    local = now.astimezone(CHINA)
    return 12 if year < local.year else local.month if year == local.year else 0


def year_window(year: int) -> tuple[datetime, datetime]:
    """A day's margin on each side of the year; months are then read in China time."""
    return datetime(year - 1, 12, 31, tzinfo=CHINA), datetime(year + 1, 1, 2, tzinfo=CHINA)


Counted = tuple[str, int, Kind, str]  # region code, month, kind, category


def count_year(year: int, k: int, province: str, now: datetime) -> Counts:
    """Count the year's cases (held ones left out) for every region, then decide, for the
    whole province at once, which figures may be published."""
    months = max(months_of(year, now), 1)
    start, end = year_window(year)
    lo, hi = codes.subtree_bounds(province)
    cases: list[Counted] = []
    for kind, category, region_code, submitted_at in db.session.execute(select(
            Case.kind, Case.category, Case.region_code, Case.submitted_at).where(
            Case.region_code.between(lo, hi), Case.moderation == Moderation.NONE,
            Case.submitted_at >= start, Case.submitted_at < end)):
        local = submitted_at.astimezone(CHINA)
        if local.year == year and local.month <= months:
            cases.append((region_code, local.month, kind, category))
    wanted = {province}
    for region_code, _, _, _ in cases:
        if codes.clean(region_code) is not None:
            wanted.update([region_code, *codes.ancestors_of(region_code)])
    return decide(region_tree(_region_rows(wanted), province, wanted), cases, year, months, k)


def decide(tree: Tree, cases: Iterable[Counted], year: int, months: int, k: int) -> Counts:
    """Each region's vector (its children's and its own cases') and the decisions on them."""
    lay = layout_for(months)
    size = lay.size
    vectors: dict[str, array] = {}
    for region_code, month, kind, category in cases:
        leaf = _leaf(tree, region_code)
        vector = vectors.get(leaf)
        if vector is None:
            vector = vectors[leaf] = array("i", bytes(4 * size))
        add_case(vector, lay, month, kind, category)
    _sum_up(tree, vectors, size)
    return Counts(year, months, k, lay, tree, vectors, protect(tree, vectors, k, lay))


def _region_rows(wanted: set[str]) -> list[tuple[str, int, str | None]]:
    """(code, level, parent) of the regions ``wanted`` and of their children."""
    rows: list[tuple[str, int, str | None]] = []
    for chunk in _chunks(sorted(wanted), 500):
        rows += db.session.execute(
            select(Region.code, Region.level, Region.parent_code)
            .where(or_(Region.code.in_(chunk), Region.parent_code.in_(chunk)))).tuples()
    return rows


def region_tree(rows: Iterable[tuple[str, int, str | None]], province: str,
                wanted: set[str]) -> Tree:
    """The regions that matter to the decisions: the province, the regions ``wanted`` (those
    with a case at or below them) and their children. A region without a case has only small
    figures, so its own children need no settling (see ``Counts.status_of``). Each wanted
    region with children gets one more child for its own cases."""
    level: dict[str, int] = {province: 1}
    parent: dict[str, str | None] = {province: None}
    children: dict[str, list[str]] = {}
    for code, lvl, parent_code in rows:
        if code == province or parent_code in wanted:
            level[code], parent[code] = lvl, parent_code
        if parent_code in wanted:
            children.setdefault(parent_code, []).append(code)
    for code, kids in children.items():
        kids.sort()
        own = code + OWN
        kids.append(own)
        level[own], parent[own] = level[code] + 1, code
    return Tree(level, parent, children, province)


def _leaf(tree: Tree, region_code: str) -> str:
    """Where a case is counted: its region, or its region's own row when the region has
    children; a code of no region counts as its nearest known ancestor's own."""
    code: str | None = region_code
    while code is not None and code not in tree.level:
        code = codes.parent_of(code) if codes.clean(code) else None
    code = code or tree.root
    return code + OWN if code in tree.children else code


def _sum_up(tree: Tree, vectors: dict[str, array], size: int) -> None:
    """Each region with a case below it gets the sum of its children; every child of such a
    region gets a vector (zeros when it has no case)."""
    zero = bytes(4 * size)
    for code in sorted(tree.children, key=lambda c: -tree.level[c]):
        kids = tree.children[code]
        for kid in kids:
            if kid not in vectors:
                vectors[kid] = array("i", zero)
        vectors[code] = array("i", map(sum, zip(*(vectors[kid] for kid in kids), strict=True)))
    if tree.root not in vectors:
        vectors[tree.root] = array("i", zero)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
