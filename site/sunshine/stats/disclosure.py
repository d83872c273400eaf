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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sunshine.stats.layout import layout

#: Status of a cell, stored as one byte per cell in the rollup row.
PUBLISHED, SMALL, COMPLEMENT, HIDDEN = 0, 1, 2, 3
BIG = 1 << 40


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


@dataclass
class _Family:
    """The cells of one family, flattened: children first, then the parent."""

    values: list[int]
    status: list[int]
    known: list[bool]
    modifiable_below: int  # flat indices below this belong to children (may still be hidden)
    k: int

    def sensitive(self, g: int) -> bool:
        return self.values[g] < self.k and not _PEOPLE[g % _SIZE[0]]


_PEOPLE: list[bool] = []
_HOUSEHOLD_CELLS: list[int] = []
_COST: list[int] = []
_SIZE = [0]
_TEMPLATES: dict[int, tuple[bytes, list[int]]] = {}


def _template(level: int) -> tuple[bytes, list[int]]:
    """The status of a region before looking at its values, and the cells to look at."""
    if level not in _TEMPLATES:
        lay = layout()
        if not _PEOPLE:
            _PEOPLE.extend(spec.people for spec in lay.cells)
            _COST.extend(spec.cost for spec in lay.cells)
            _HOUSEHOLD_CELLS.extend(i for i, spec in enumerate(lay.cells) if not spec.people)
            _SIZE[0] = lay.size
        status = bytearray(lay.size)
        candidates = []
        for i, spec in enumerate(lay.cells):
            if spec.people:
                continue
            if level not in spec.levels:
                status[i] = HIDDEN
            else:
                candidates.append(i)
        _TEMPLATES[level] = (bytes(status), candidates)
    return _TEMPLATES[level]


def initial_status(vector: Sequence[int], level: int, k: int) -> bytearray:
    """Primary suppression: small cells, and cells not published at this level."""
    template, candidates = _template(level)
    status = bytearray(template)
    for i in candidates:
        if vector[i] < k:
            status[i] = SMALL
    return status


_RELEVANT: dict[int, list[tuple[tuple[int, ...], tuple[int, ...]]]] = {}
_SIBLING_CELLS: dict[int, list[int]] = {}


def _relations_for(level: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The identities that can give something away at this level.

    Left out: those without a cell published at this level, and those with, on each side, a
    cell that is never published here and can never be worked out: such an identity always has
    unknowns on both sides, one of them unbounded, so it pins nothing.
    """
    if level not in _RELEVANT:
        lay = layout()
        published = [level in spec.levels for spec in lay.cells]
        ever = list(published)
        changed = True
        while changed:  # what could be worked out if everything published were known
            changed = False
            for lhs, rhs in lay.relations:
                unknown = [g for g in lhs + rhs if not ever[g]]
                if len(unknown) == 1:
                    ever[unknown[0]] = True
                    changed = True
        _RELEVANT[level] = [
            (lhs, rhs) for lhs, rhs in lay.relations
            if any(published[i] for i in lhs + rhs)
            and not (any(not ever[i] for i in lhs) and any(not ever[i] for i in rhs))]
    return _RELEVANT[level]


def _sibling_cells(level: int) -> list[int]:
    """Household cells published at the children's level: their sums can be checked."""
    if level not in _SIBLING_CELLS:
        lay = layout()
        _SIBLING_CELLS[level] = [i for i, spec in enumerate(lay.cells)
                                 if not spec.people and level in spec.levels]
    return _SIBLING_CELLS[level]


_PEOPLE_PAIRS: list[tuple[int, int]] = []
_STRUCTURES: dict[tuple[int, int, bool], tuple[list[tuple[tuple[int, ...], tuple[int, ...]]],
                                               dict[int, list[int]]]] = {}
def _structure(level: int, n: int, with_parent: bool) -> tuple[
        list[tuple[tuple[int, ...], tuple[int, ...]]], dict[int, list[int]], int]:
    """The identities of a family of ``n`` children at ``level`` (flat cell indices), for each
    cell the identities it is in, and how many identities there are. Cached per shape."""
    key = (level, n, with_parent)
    found = _STRUCTURES.get(key)
    if found is not None:
        return found  # type: ignore[return-value]
    size = layout().size
    constraints: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for ci in range(n):
        base = ci * size
        constraints.extend([(tuple([base + i for i in lhs]), tuple([base + i for i in rhs]))
                            for lhs, rhs in _relations_for(level)])
    if with_parent and n:
        pbase = n * size
        for i in _sibling_cells(level):
            constraints.append(((pbase + i,), tuple(range(i, n * size, size))))
    by_cell: dict[int, list[int]] = {}
    for ci_, (lhs, rhs) in enumerate(constraints):
        for g in lhs + rhs:
            by_cell.setdefault(g, []).append(ci_)
    result = (constraints, by_cell, len(constraints))
    if len(_STRUCTURES) < 400:
        _STRUCTURES[key] = result  # type: ignore[assignment]
    return result


def public_bounds(status: Sequence[int], values: Sequence[int], k: int) -> tuple[list[int],
                                                                                list[int]]:
    """What a page says about each cell: its value, 0–(k-1) for "<k", at least k for "×"."""
    lo = [0] * len(status)
    hi = [BIG] * len(status)
    for g, s in enumerate(status):
        if s == PUBLISHED:
            lo[g] = hi[g] = values[g]
        elif s == SMALL:
            hi[g] = k - 1
        elif s == COMPLEMENT:
            lo[g] = k
    return lo, hi


def protect_family(parent: tuple[str, Sequence[int], bytes, Sequence[int], Sequence[int]] | None,
                   children: list[tuple[str, Sequence[int], int]],
                   k: int, forced: set[tuple[str, int]] | None = None,
                   ) -> list[tuple[bytearray, list[int], list[int]]]:
    """Decide the children's cells, the parent's being fixed already.

    :param parent: (code, vector, status, lo, hi) of the parent, or None for the root; ``lo``
        and ``hi`` are what anyone can work out about its cells from the levels above.
    :param children: (code, vector, level) of each child (the root alone when parent is None).
    :param forced: (code, cell) pairs that must be hidden (complements forced from below).
    :return: for each child, its statuses and the bounds anyone can work out for its cells.
    :raise Forced: when only hiding a cell of the parent would protect the family.
    """
    lay = layout()
    size = lay.size
    n = len(children)
    child_level = children[0][2] if n else 1
    published_here = _sibling_cells(child_level)
    values: list[int] = []
    status: list[int] = []
    for code, vector, level in children:
        st = initial_status(vector, level, k)
        if forced:
            for c, i in forced:
                if c == code and st[i] == PUBLISHED:
                    st[i] = COMPLEMENT
        values.extend(vector)
        status.extend(st)
    if parent is not None:
        # A figure hidden at the parent to protect others is hidden in every child too, all
        # alike ("—", neither "<k" nor "×"): the children's figures, or even their markers,
        # would otherwise tell more about the parent's than its own page does. Under a small
        # parent, children are small as well and keep their "<k".
        parent_status = parent[2]
        hidden_above = [i for i in published_here if parent_status[i] in (COMPLEMENT, HIDDEN)]
        for ci in range(n):
            base = ci * size
            for i in hidden_above:
                status[base + i] = HIDDEN
    known = [s == PUBLISHED for s in status]
    parent_lo: Sequence[int] = ()
    parent_hi: Sequence[int] = ()
    if parent is not None:
        values.extend(parent[1])
        status.extend(parent[2])
        parent_lo, parent_hi = parent[3], parent[4]
        known.extend(a == b for a, b in zip(parent_lo, parent_hi, strict=True))

    if parent is not None and n:
        _check_parent_room(parent, children, status, k)

    constraints, by_cell, quick = _structure(children[0][2] if n else 1, n, parent is not None)
    fam = _Family(values, status, known, n * size, k)
    codes = [c[0] for c in children] + ([parent[0]] if parent is not None else [])

    g = _settle_locally(fam, constraints, by_cell, quick)
    if g is not None:
        raise Forced(codes[g // size], g % size)
    if not _PEOPLE_PAIRS:
        _PEOPLE_PAIRS.extend((i, lay.index[spec.follows]) for i, spec in enumerate(lay.cells)
                             if spec.people and spec.follows is not None)
    if child_level == 5:
        # Villages have no children: nobody needs their bounds.
        result = []
        for ci in range(n):
            st = bytearray(status[ci * size:(ci + 1) * size])
            for i, j in _PEOPLE_PAIRS:
                st[i] = st[j]
            result.append((st, [], []))
        return result
    # What anyone can work out about the children, for their own families: their page, and
    # what the parent's figure and the siblings' say through the sum.
    lo, hi = public_bounds(status[:n * size], values, k)
    for g in range(n * size):
        if known[g]:
            lo[g] = hi[g] = values[g]
    if parent is not None and n:
        for i in published_here:
            cells = range(i, n * size, size)
            open_cells = [g for g in cells if lo[g] != hi[g]]
            if not open_cells:
                continue
            sum_lo = sum_hi = 0
            for g in cells:
                sum_lo += lo[g]
                sum_hi += hi[g]
            p_lo, p_hi = parent_lo[i], parent_hi[i]
            for g in open_cells:
                a, b = lo[g], hi[g]
                lo[g] = max(a, p_lo - (sum_hi - b))
                hi[g] = min(b, p_hi - (sum_lo - a))
    result = []
    for ci in range(n):
        st = bytearray(status[ci * size:(ci + 1) * size])
        for i, j in _PEOPLE_PAIRS:
            st[i] = st[j]
        result.append((st, lo[ci * size:(ci + 1) * size], hi[ci * size:(ci + 1) * size]))
    return result


def _check_parent_room(parent: tuple[str, Sequence[int], bytes, Sequence[int], Sequence[int]],
                       children: list[tuple[str, Sequence[int], int]], status: list[int],
                       k: int) -> None:
    """For a hidden figure of the parent, the children (all hidden too) must not pin it down
    together with what is known of it from above: their "<k" bounds add up to at most
    n(k-1); if that reaches the parent's lowest possible value, everything is determined.

    :raise Widen: naming the parent's figure that needs more room.
    """
    code, _, parent_status, parent_lo, parent_hi = parent
    size = _SIZE[0]
    n = len(children)
    for i in _sibling_cells(children[0][2]):
        if parent_status[i] == PUBLISHED or parent_lo[i] == parent_hi[i]:
            continue
        sum_lo = sum_hi = 0
        for ci in range(n):
            s = status[ci * size + i]
            if s == SMALL:
                sum_hi += k - 1
            elif s == COMPLEMENT:
                sum_lo += k
                sum_hi = BIG
            elif s == HIDDEN:
                sum_hi = BIG
        if sum_hi <= parent_lo[i] or sum_lo >= parent_hi[i]:
            raise Widen(code, i)


def _settle_locally(fam: _Family, constraints: list[tuple[tuple[int, ...], tuple[int, ...]]],
                    by_cell: dict[int, list[int]], count: int) -> int | None:
    """The local checks until nothing changes; a parent cell's flat index when only hiding it
    would do."""
    known = fam.known
    member = known.__getitem__
    queued = [False] * count
    # Only identities with a known and an unknown cell can give anything away (most village
    # identities are all unknown: everything small).
    for ci_ in range(count):
        lhs, rhs = constraints[ci_]
        n_known = sum(map(member, lhs)) + sum(map(member, rhs))
        if 0 < n_known < len(lhs) + len(rhs):
            queued[ci_] = True
    pending = [ci_ for ci_ in range(count - 1, -1, -1) if queued[ci_]]
    steps = 0
    limit = 50 * count + 1000
    while pending:
        steps += 1
        if steps > limit:  # pragma: no cover  (defensive: suppression only ever grows)
            raise RuntimeError("disclosure control did not settle")
        ci_ = pending.pop()
        queued[ci_] = False
        lhs, rhs = constraints[ci_]
        touched = _check(fam, lhs, rhs)
        if touched is None:
            continue
        if touched < 0:
            return -touched - 1
        for other in by_cell.get(touched, ()):
            if other < count and not queued[other]:
                queued[other] = True
                pending.append(other)
    return None


def _check(fam: _Family, lhs: tuple[int, ...], rhs: tuple[int, ...]) -> int | None:
    """Look at one identity; hide one more cell when it gives something away.

    Returns None when nothing changed, the flat index of a cell that changed (newly hidden, or
    newly known because the identity determines it), or ``-(g + 1)`` when only the parent's
    cell ``g`` could fix it.
    """
    known = fam.known
    unknown_l = [g for g in lhs if not known[g]]
    unknown_r = [g for g in rhs if not known[g]]
    count = len(unknown_l) + len(unknown_r)
    if count == 0 or count == len(lhs) + len(rhs):
        # Nothing hidden, or nothing known: an identity between unknowns alone pins nothing
        # (the bounds a page reveals are never tight enough on both sides at once).
        return None
    values = fam.values
    status = fam.status
    k = fam.k
    if count == 1:
        g = (unknown_l or unknown_r)[0]
        if status[g] == SMALL or status[g] == COMPLEMENT or fam.sensitive(g):
            return _hide_another(fam, lhs, rhs, unknown_l, unknown_r)
        # A big hidden figure worked out from others: harmless, but now the attacker knows it.
        known[g] = True
        return g
    if not unknown_l or not unknown_r:
        total = 0
        for g in unknown_l or unknown_r:
            total += values[g]
        if total < k:
            return _hide_another(fam, lhs, rhs, unknown_l, unknown_r)
    # Bounds: what the identity says about each unknown, given what the page says of the others.
    c = 0
    for g in rhs:
        if known[g]:
            c += values[g]
    for g in lhs:
        if known[g]:
            c -= values[g]
    # sum(unknown_l) - sum(unknown_r) = c
    lows: dict[int, int] = {}
    highs: dict[int, int] = {}
    for g in unknown_l + unknown_r:
        s = status[g]
        if s == SMALL:
            lows[g], highs[g] = 0, k - 1
        elif s == COMPLEMENT:
            lows[g], highs[g] = k, BIG
        else:
            lows[g], highs[g] = 0, BIG
    lo_l = sum(lows[g] for g in unknown_l)
    hi_l = sum(highs[g] for g in unknown_l)
    lo_r = sum(lows[g] for g in unknown_r)
    hi_r = sum(highs[g] for g in unknown_r)
    # A small figure (shown "<k", or never shown) must stay anywhere in 0..k-1 for all this
    # identity says; any other hidden figure must at least not be pinned down.
    for g in unknown_l + unknown_r:
        lo, hi = lows[g], highs[g]
        if g in unknown_l:
            new_lo = max(lo, c + lo_r - (hi_l - hi))
            new_hi = min(hi, c + hi_r - (lo_l - lo))
        else:
            new_lo = max(lo, lo_l - c - (hi_r - hi))
            new_hi = min(hi, hi_l - c - (lo_r - lo))
        if status[g] == SMALL or (status[g] == HIDDEN and fam.sensitive(g)):
            if new_lo > 0 or new_hi < k - 1:
                return _hide_another(fam, lhs, rhs, unknown_l, unknown_r)
        elif status[g] == COMPLEMENT and new_lo >= new_hi:
            return _hide_another(fam, lhs, rhs, unknown_l, unknown_r)
    return None


def _hide_another(fam: _Family, lhs: tuple[int, ...], rhs: tuple[int, ...],
                  unknown_l: list[int], unknown_r: list[int]) -> int | None:
    """Hide the cheapest published cell of the identity (flows and breakdown cells before
    stocks and totals; then the smallest). Either side will do: once the unknowns stand on both
    sides their sum is no longer what two published figures differ by."""
    below = fam.modifiable_below
    cost = _COST
    size = _SIZE[0]
    candidates = [g for g in lhs + rhs
                  if g < below and fam.known[g] and fam.status[g] == PUBLISHED]
    if candidates:
        g = min(candidates, key=lambda x: (cost[x % size], fam.values[x], x))
        fam.status[g] = COMPLEMENT
        fam.known[g] = False
        return g
    # Cells that were only worked out (not published) cannot be hidden; parent cells are fixed.
    parent_cells = [g for g in lhs + rhs
                    if g >= below and fam.known[g] and fam.status[g] == PUBLISHED]
    if parent_cells:
        return -(min(parent_cells, key=lambda x: fam.values[x]) + 1)
    return None


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
    """Project published figures forward (see ``services.projection``); results below ``k``
    are shown as small counts too, so a projection never prints a number under the threshold.
    """
    out = []
    for year, fig in points:
        if fig.value is not None and fig.value < k:
            out.append((year, Figure(None, SMALL, k)))
        else:
            out.append((year, fig))
    return out[:horizon] if horizon else out
