"""Disclosure control: the one place that decides which counts may be published, and the one
door every public figure goes through (pages, CSV, JSON, charts, the home page).

The rules (CONTRACT.md, "Statistics"):

* A cell counting fewer than ``k`` households (``STATS_MIN_CELL``, default 10), zero included,
  is not published: pages show "<10", JSON ``null`` with ``"suppressed": true``. Its people
  count goes with it.
* Complementary suppression: more cells are hidden until no hidden small count can be worked
  out from what is published, using any of the identities anyone knows:

  - a region's figure is the sum of its children's (the sums of siblings),
  - the relations inside one region (``layout.RELATIONS``): causes and sizes add up to the
    total, who was in poverty last year plus who came equals who is in poverty now plus who
    left, everybody is either in poverty or exited, and so on.

  For each identity, the hidden cells in it must not be *determined*: not a single unknown, not
  pinned by the bounds that the page itself reveals (a "<10" cell lies in 0–9, a cell hidden
  for protection is at least ``k``), and when all unknowns stand on one side, their sum (what
  two published figures differ by) must be at least ``k``: two published figures never differ
  by a small number of households (the "two filters that differ by one household" attack).

Suppression is decided for the whole region tree at once, top down, when the rollups are
built: a parent's decision is fixed before its children's, and a family (a parent and its
children) is settled together, so that a figure is hidden or shown the same way on every page,
in every export and in the API. Pages only read the stored decision (``Status``).

The checks above look at one identity at a time. The decisions are then attacked over the
whole tree (``exposure``): interval reasoning that carries the bounds one identity gives into
every other one, to a fixed point. What it must not find: a hidden figure under k pinned to
one value, or an identity whose undetermined figures (not pinned) stand on one side and add up
to 1..k-1. Until it finds nothing, it names one more figure to hide for each finding and the
families concerned are settled again. That attacker is the one the engine is proven against
(tests/stats, whose auditor is the same attack written independently); an attacker solving the
identities as a linear program may still narrow a hidden figure further.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sunshine.stats import settle
from sunshine.stats.layout import Layout, layout
from sunshine.stats.settle import BIG, COMPLEMENT, HIDDEN, PUBLISHED, SMALL

__all__ = ["BIG", "COMPLEMENT", "HIDDEN", "PUBLISHED", "SMALL", "Figure", "Forced", "Widen",
           "figure", "initial_status", "protect_family", "ratio_text", "safe_projection",
           "share"]


class Widen(Exception):
    """Children can only be protected if less is known about one of their parent's figures:
    hide a sibling's (or, failing that, an ancestor's) figure of the same cell."""

    def __init__(self, region: str, cell: int) -> None:
        super().__init__(region, cell)
        self.region, self.cell = region, cell


class Forced(Exception):
    """A family could only be protected by hiding a figure of its parent (rare)."""

    def __init__(self, region: str, cell: int) -> None:
        super().__init__(region, cell)
        self.region, self.cell = region, cell


def initial_status(vector: Sequence[int], level: int, k: int,
                   lay: Layout | None = None) -> bytearray:
    """Primary suppression: small cells, and cells not published at this level."""
    return bytearray(_initial(np.asarray(vector, np.int64)[None, :], level, k,
                              lay or layout()).tobytes())


def _initial(vectors: np.ndarray, level: int, k: int, lay: Layout) -> np.ndarray:
    """``initial_status`` of each row of ``vectors`` (all at ``level``)."""
    info = settle.level(level, lay)
    return np.where(info.candidates & (vectors < k), SMALL, info.template).astype(np.uint8)


_PEOPLE: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _people_pairs(lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """People cells, and the household cells they are shown or hidden with."""
    found = _PEOPLE.get(lay.name)
    if found is None:
        pairs = [(i, lay.index[spec.follows]) for i, spec in enumerate(lay.cells)
                 if spec.people and spec.follows is not None]
        found = _PEOPLE[lay.name] = (np.array([i for i, _ in pairs], np.intp),
                                     np.array([j for _, j in pairs], np.intp))
    return found


def protect_family(parent: tuple[str, Sequence[int], bytes, Sequence[int], Sequence[int]] | None,
                   children: Sequence[tuple[str, Sequence[int], int]],
                   k: int, forced: set[tuple[str, int]] | None = None,
                   lay: Layout | None = None,
                   ) -> list[tuple[bytearray, list[int], list[int]]]:
    """Decide the children's cells, the parent's being fixed already.

    :param parent: (code, vector, status, lo, hi) of the parent, or None for the root; ``lo``
        and ``hi`` are what anyone can work out about its cells from the levels above.
    :param children: (code, vector, level) of each child (the root alone when parent is None),
        all at the same level.
    :param forced: (code, cell) pairs that must be hidden (complements forced from below).
    :param lay: the cells and identities (the household register's by default).
    :return: for each child, its statuses and the bounds anyone can work out for its cells.
    :raise Forced: when only hiding a cell of the parent would protect the family.
    """
    n = len(children)
    if not n:
        return []
    lay = lay or layout()
    size = lay.size
    child_level = children[0][2]
    published_here = settle.level(child_level, lay).sibling_cells
    vectors = np.array([np.asarray(vector) for _, vector, _ in children], np.int64)
    status = _initial(vectors, child_level, k, lay)
    if forced:
        row = {code: ci for ci, (code, _, _) in enumerate(children)}
        for code, i in forced:
            ci = row.get(code)
            if ci is not None and status[ci, i] == PUBLISHED:
                status[ci, i] = COMPLEMENT
    if parent is not None:
        # A figure hidden at the parent to protect others is hidden in every child too, all
        # alike ("—", neither "<k" nor "×"): the children's figures, or even their markers,
        # would otherwise tell more about the parent's than its own page does. Under a small
        # parent, children are small as well and keep their "<k".
        parent_status = np.frombuffer(bytes(parent[2]), np.uint8)
        above = parent_status[published_here]
        status[:, published_here[(above == COMPLEMENT) | (above == HIDDEN)]] = HIDDEN
        parent_lo = np.array(parent[3], np.int64)
        parent_hi = np.array(parent[4], np.int64)
        _check_parent_room(parent[0], parent_status, parent_lo, parent_hi, status,
                           published_here, k)
    values = [vectors.ravel()]
    statuses = [status.ravel()]
    known = [status.ravel() == PUBLISHED]
    if parent is not None:
        values.append(np.asarray(parent[1], np.int64))
        statuses.append(parent_status)
        known.append(parent_lo == parent_hi)
    array = np.concatenate(values)
    fam = settle.Family(array, bytearray(np.concatenate(statuses).tobytes()),
                        bytearray(np.concatenate(known).astype(np.uint8).tobytes()), n * size, k)
    shape = settle.structure(child_level, n, parent is not None, lay)
    g = settle.settle_locally(fam, shape)
    if g is not None:
        codes = [c[0] for c in children] + ([parent[0]] if parent is not None else [])
        raise Forced(codes[g // size], g % size)

    status = np.frombuffer(fam.status, np.uint8, n * size).reshape(n, size)
    shown = status.copy()
    people, follows = _people_pairs(lay)
    shown[:, people] = shown[:, follows]
    if child_level == 5:
        # Villages have no children: nobody needs their bounds.
        return [(bytearray(row), [], []) for row in shown]
    # What anyone can work out about the children, for their own families: their page, and
    # what the parent's figure and the siblings' say through the sum.
    known_now = np.frombuffer(fam.known, np.uint8, n * size).reshape(n, size).astype(bool)
    known_now |= status == PUBLISHED
    lo = np.where(known_now, vectors, np.where(status == COMPLEMENT, k, 0))
    hi = np.where(known_now, vectors, np.where(status == SMALL, k - 1, BIG))
    if parent is not None:
        a, b = lo[:, published_here], hi[:, published_here]
        sum_lo, sum_hi = a.sum(axis=0), b.sum(axis=0)
        open_ = a != b
        lo[:, published_here] = np.where(
            open_, np.maximum(a, parent_lo[published_here] - (sum_hi - b)), a)
        hi[:, published_here] = np.where(
            open_, np.minimum(b, parent_hi[published_here] - (sum_lo - a)), b)
    return [(bytearray(row), row_lo, row_hi)
            for row, row_lo, row_hi in zip(shown, lo.tolist(), hi.tolist(), strict=True)]


def _check_parent_room(code: str, parent_status: np.ndarray, parent_lo: np.ndarray,
                       parent_hi: np.ndarray, status: np.ndarray, cells: np.ndarray,
                       k: int) -> None:
    """For a hidden figure of the parent, the children (all hidden too) must not pin it down
    together with what is known of it from above: their "<k" bounds add up to at most
    n(k-1); if that reaches the parent's lowest possible value, everything is determined.

    :raise Widen: naming the parent's figure that needs more room.
    """
    open_ = (parent_status[cells] != PUBLISHED) & (parent_lo[cells] != parent_hi[cells])
    if not open_.any():
        return
    kids = status[:, cells]
    complements = (kids == COMPLEMENT).sum(axis=0)
    unbounded = complements + (kids == HIDDEN).sum(axis=0)
    sum_lo = complements * k
    sum_hi = np.where(unbounded > 0, BIG, (kids == SMALL).sum(axis=0) * (k - 1))
    pinned = open_ & ((sum_hi <= parent_lo[cells]) | (sum_lo >= parent_hi[cells]))
    if pinned.any():
        raise Widen(code, int(cells[np.argmax(pinned)]))


# --- the public side: every figure shown anywhere is made here --------------------------------


class Figure:
    """One public number: its value when it may be shown, else why not."""

    __slots__ = ("value", "status", "k")

    def __init__(self, value: int | None, status: int, k: int = 10) -> None:
        self.value, self.status, self.k = value, status, k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Figure) and (self.value, self.status) == (other.value,
                                                                           other.status)

    def __repr__(self) -> str:
        return f"Figure({self.value!r}, {self.status})"

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def text(self) -> str:
        """For HTML and CSV: the number, "<10" for a small count, "×" for one hidden to protect
        others, "—" for one hidden because the same figure of the region above is hidden."""
        if self.value is not None:
            return f"{self.value:,}"
        return _MARKERS.get(self.status) or f"<{self.k}"

    @property
    def plain(self) -> str:
        """For CSV: no thousands separator."""
        if self.value is not None:
            return str(self.value)
        return self.text

    def json(self) -> dict[str, Any]:
        if self.value is None:
            return {"value": None, "suppressed": True}
        return {"value": self.value, "suppressed": False}


_MARKERS = {COMPLEMENT: "×", HIDDEN: "—"}


def figure(vector: Sequence[int], status: bytes | bytearray, index: int, k: int = 10) -> Figure:
    """The only way to turn a stored count into something public."""
    st = status[index]
    if st == PUBLISHED:
        return Figure(vector[index], PUBLISHED, k)
    return Figure(None, SMALL if st == SMALL else COMPLEMENT if st == COMPLEMENT else HIDDEN, k)


def share(numerator: Figure, denominator: Figure) -> float | None:
    """A share in per cent from two published figures; None when either is hidden."""
    if numerator.value is None or denominator.value is None or denominator.value == 0:
        return None
    return 100.0 * numerator.value / denominator.value


def ratio_text(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}%"


def safe_projection(points: Iterable[tuple[int, Figure]], k: int,
                    horizon: int = 3) -> list[tuple[int, Figure]]:
    """Project published figures forward (see ``tables.projection``); results below ``k``
    are shown as small counts too, so a projection never prints a number under the threshold.
    """
    out = []
    for year, fig in points:
        if fig.value is not None and fig.value < k:
            out.append((year, Figure(None, SMALL, k)))
        else:
            out.append((year, fig))
    return out[:horizon] if horizon else out
