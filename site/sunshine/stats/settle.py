"""The engine behind ``disclosure.protect_family``: the identities of a family, and the local
checks that hide one more cell at a time until no identity gives a hidden small count away.
Each identity is checked alone, with the bounds a page shows; what identities give away
together is left to ``exposure``, which attacks the decisions of the whole tree afterwards.

Kept apart from ``disclosure.py`` (the public door) because it is tuned for speed: a province
settles about a million identities, and the loop that checks them is compiled with numba. The
decisions do not depend on the tuning: the checks run in the plain order (``settle_locally``),
and a test holds them to a plain Python version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from sunshine.stats.layout import Layout, layout

#: Status of a cell, stored as one byte per cell in the rollup row.
PUBLISHED, SMALL, COMPLEMENT, HIDDEN = 0, 1, 2, 3
BIG = 1 << 40

Constraint = tuple[Sequence[int], Sequence[int]]


@dataclass
class Family:
    """The cells of one family, flattened: children first, then the parent. ``status`` and
    ``known`` are bytearrays, which numpy (and the compiled loop) read and change in place."""

    values: np.ndarray  # int64
    status: bytearray
    known: bytearray
    modifiable_below: int  # flat indices below this belong to children (may still be hidden)
    k: int


@dataclass(frozen=True)
class Level:
    """What the layout says about the cells of a region at one level."""

    template: np.ndarray  # status before looking at the values (HIDDEN: never shown here)
    candidates: np.ndarray  # bool: household cells shown here (small ones are hidden)
    relations: list[Constraint]  # identities that can give something away at this level
    sibling_cells: np.ndarray  # household cells shown here: sums over siblings can be checked
    runs: tuple[tuple[np.ndarray, np.ndarray], ...]  # per side: cells (-1 ends a run), starts


_LEVELS: dict[tuple[str, int], Level] = {}


def level(lvl: int, lay: Layout | None = None) -> Level:
    """The cells and identities of a region at level ``lvl`` (cached), in ``lay`` (the
    household register's by default)."""
    lay = lay or layout()
    found = _LEVELS.get((lay.name, lvl))
    if found is None:
        template = np.full(lay.size, PUBLISHED, np.uint8)
        candidates = np.zeros(lay.size, bool)
        for i, spec in enumerate(lay.cells):
            if spec.people:
                continue
            if lvl in spec.levels:
                candidates[i] = True
            else:
                template[i] = HIDDEN
        relations = _relations_for(lvl, lay)
        sibling_cells = np.flatnonzero(candidates)
        runs = []
        for side in (0, 1):
            cells = [i for relation in relations for i in (*relation[side], -1)]
            ends = np.flatnonzero(np.array(cells, np.intp) < 0)
            runs.append((np.array(cells, np.intp), np.append(0, ends[:-1] + 1)[:len(ends)]))
        found = _LEVELS[(lay.name, lvl)] = Level(template, candidates, relations,
                                                 sibling_cells, tuple(runs))
    return found


def _relations_for(lvl: int, lay: Layout) -> list[Constraint]:
    """The identities that can give something away at this level.

    Left out: those without a cell published at this level, and those with, on each side, a
    cell that is never published here and can never be worked out: such an identity always has
    unknowns on both sides, one of them unbounded, so it pins nothing.
    """
    published = [lvl in spec.levels for spec in lay.cells]
    ever = list(published)
    changed = True
    while changed:  # what could be worked out if everything published were known
        changed = False
        for lhs, rhs in lay.relations:
            unknown = [g for g in lhs + rhs if not ever[g]]
            if len(unknown) == 1:
                ever[unknown[0]] = True
                changed = True
    return [(lhs, rhs) for lhs, rhs in lay.relations
            if any(published[i] for i in lhs + rhs)
            and not (any(not ever[i] for i in lhs) and any(not ever[i] for i in rhs))]


class Structure:
    """The identities of one family shape: ``constraints`` (flat cell indices: children first,
    then the parent; a dummy cell after them), how many cells each has, both sides of every
    identity as runs of cells for numpy and the compiled loop (each run closed by the dummy, so
    none is empty), and the identities each cell is in."""

    def __init__(self, lvl: int, n: int, with_parent: bool, lay: Layout | None = None) -> None:
        lay = lay or layout()
        size = lay.size
        self.cost = _cost_array(lay)
        info = level(lvl, lay)
        dummy = (n + (1 if with_parent else 0)) * size
        sib = info.sibling_cells if with_parent and n else np.zeros(0, np.intp)
        sides = []
        for side, (cells, starts) in enumerate(info.runs):
            # The level's identities, once per child (shifted to its cells), then the sums.
            runs = cells[None, :] + (np.arange(n) * size)[:, None]
            runs[:, cells < 0] = dummy
            parts = [runs.ravel()]
            firsts = [(starts[None, :] + (np.arange(n) * len(cells))[:, None]).ravel()]
            if len(sib):
                sums = (np.stack([dummy - size + sib, np.full(len(sib), dummy)], axis=1)
                        if side == 0 else np.concatenate(
                            [sib[:, None] + np.arange(n) * size,
                             np.full((len(sib), 1), dummy)], axis=1))
                firsts.append(n * len(cells) + np.arange(len(sib)) * sums.shape[1])
                parts.append(sums.ravel())
            sides += [np.concatenate(parts), np.concatenate(firsts)]
        self.sides = tuple(sides)
        ends = [np.append(firsts[1:], len(flat)) for flat, firsts in (sides[:2], sides[2:])]
        self.l_ends, self.r_ends = ends
        lhs, rhs = sides[0].tolist(), sides[2].tolist()
        self.constraints: list[Constraint] = [
            (lhs[a:b - 1], rhs[c:d - 1]) for a, b, c, d in
            zip(sides[1].tolist(), ends[0].tolist(), sides[3].tolist(), ends[1].tolist(),
                strict=True)]
        # The identities each cell is in, in order: ``members[first[g]:first[g + 1]]``.
        count = len(self.constraints)
        cells = np.concatenate([sides[0], sides[2]])
        owners = np.concatenate([np.repeat(np.arange(count), ends[0] - sides[1]),
                                 np.repeat(np.arange(count), ends[1] - sides[3])])
        order = np.lexsort((owners, cells))
        self.members = owners[order]
        self.first = np.append(0, np.cumsum(np.bincount(cells, minlength=dummy + 1)))


_STRUCTURES: dict[tuple[str, int, int, bool], Structure] = {}


def structure(lvl: int, n: int, with_parent: bool, lay: Layout | None = None) -> Structure:
    """The identities of a family of ``n`` children at level ``lvl``. Cached per shape."""
    lay = lay or layout()
    key = (lay.name, lvl, n, with_parent)
    found = _STRUCTURES.get(key)
    if found is None:
        found = Structure(lvl, n, with_parent, lay)
        if len(_STRUCTURES) < 400:
            _STRUCTURES[key] = found
    return found


def settle_locally(fam: Family, shape: Structure) -> int | None:
    """The local checks until nothing changes; a parent cell's flat index when only hiding it
    would do.

    The order: every identity with a known and an unknown cell, in order, each followed by
    whatever its change makes worth looking at again (last in, first out). The loop is compiled
    (``_settle``): a province settles about a million identities.
    """
    l_cells, l_starts, r_cells, r_starts = shape.sides
    found = _settle(fam.values, np.frombuffer(fam.status, np.uint8),
                    np.frombuffer(fam.known, np.uint8), fam.modifiable_below, fam.k,
                    l_cells, l_starts, shape.l_ends, r_cells, r_starts, shape.r_ends,
                    shape.members, shape.first, shape.cost)
    if found == _UNSETTLED:  # pragma: no cover  (defensive)
        raise RuntimeError("disclosure control did not settle")
    return None if found == _SETTLED else found


#: What ``_settle`` returns besides a parent cell's index.
_SETTLED, _UNSETTLED = -1, -2
#: What ``_check`` and ``_hide_another`` return when nothing changed (a hidden cell is its
#: index, a parent cell that would have to be hidden is ``-(index + 1)``).
_NOTHING = -(1 << 62)


@njit(cache=True, nogil=True)
def _settle(values, status, known, below, k, l_cells, l_starts, l_ends, r_cells, r_starts,
            r_ends, members, first_of, cost):  # pragma: no cover
    """``settle_locally``'s loop (numba). Each side of identity ``ci`` is
    ``cells[starts[ci]:ends[ci] - 1]`` (the last cell of a run is the dummy); the identities
    cell ``g`` is in are ``members[first_of[g]:first_of[g + 1]]``."""
    n_ids = len(l_starts)
    unknowns = np.zeros(n_ids, np.int64)
    sizes = np.zeros(n_ids, np.int64)
    queued = np.zeros(n_ids, np.uint8)
    pending = np.empty(n_ids, np.int64)
    top = 0
    for ci in range(n_ids - 1, -1, -1):  # pushed last first: taken in order
        sizes[ci] = l_ends[ci] - 1 - l_starts[ci] + r_ends[ci] - 1 - r_starts[ci]
        for j in range(l_starts[ci], l_ends[ci] - 1):
            if not known[l_cells[j]]:
                unknowns[ci] += 1
        for j in range(r_starts[ci], r_ends[ci] - 1):
            if not known[r_cells[j]]:
                unknowns[ci] += 1
        if 0 < unknowns[ci] < sizes[ci]:
            queued[ci] = 1
            pending[top] = ci
            top += 1
    changes = 0
    limit = 2 * len(values)
    while top > 0:
        top -= 1
        ci = pending[top]
        queued[ci] = 0
        unknown = unknowns[ci]
        if unknown == 0 or unknown == sizes[ci]:
            continue  # nothing hidden, or nothing known: ``_check`` would do nothing
        l0, l1, r0, r1 = l_starts[ci], l_ends[ci] - 1, r_starts[ci], r_ends[ci] - 1
        if unknown > 1:
            touched = _check(values, status, known, below, k, l_cells, l0, l1, r_cells, r0,
                             r1, cost)
        else:  # one unknown (most often): it is determined
            g = -1
            for j in range(l0, l1):
                if not known[l_cells[j]]:
                    g = l_cells[j]
                    break
            if g < 0:
                for j in range(r0, r1):
                    if not known[r_cells[j]]:
                        g = r_cells[j]
                        break
            s = status[g]
            if s == SMALL or s == COMPLEMENT or values[g] < k:
                touched = _hide_another(values, status, known, below, l_cells, l0, l1,
                                        r_cells, r0, r1, cost)
            else:  # a big hidden figure: harmless, but now the attacker knows it
                known[g] = 1
                touched = g
        if touched == _NOTHING:
            continue
        if touched < 0:
            return -touched - 1
        changes += 1  # a cell is hidden, or worked out, at most once each
        if changes > limit:
            return _UNSETTLED
        delta = -1 if known[touched] else 1
        for j in range(first_of[touched], first_of[touched + 1]):
            other = members[j]
            unknowns[other] += delta
            if not queued[other]:
                queued[other] = 1
                pending[top] = other
                top += 1
    return _SETTLED


@njit(cache=True, nogil=True)
def _check(values, status, known, below, k, l_cells, l0, l1, r_cells, r0, r1,
           cost):  # pragma: no cover
    """Look at one identity with two unknown cells or more and one known at least (between
    unknowns alone an identity pins nothing: the bounds a page reveals are never tight enough
    on both sides at once); hide one more cell when it gives something away.

    Returns ``_NOTHING`` when nothing changed, the flat index of the newly hidden cell, or
    ``-(g + 1)`` when only the parent's cell ``g`` could fix it.
    """
    # Bounds: what the identity says about each unknown, given what the page says of the others.
    c = 0  # sum(unknown_l) - sum(unknown_r) = c
    total = 0  # the unknowns' sum
    lo_l = hi_l = lo_r = hi_r = 0
    n_l = n_r = 0
    kinds_l = kinds_r = 0  # bits: 1 a "<k" cell, 2 a "×" cell, 4 a small cell never shown
    for j in range(l0, l1):
        g = l_cells[j]
        if known[g]:
            c -= values[g]
            continue
        n_l += 1
        total += values[g]
        s = status[g]
        if s == SMALL:
            hi_l += k - 1
            kinds_l |= 1
        elif s == COMPLEMENT:
            lo_l += k
            hi_l += BIG
            kinds_l |= 2
        else:
            hi_l += BIG
            if s == HIDDEN and values[g] < k:
                kinds_l |= 4
    for j in range(r0, r1):
        g = r_cells[j]
        if known[g]:
            c += values[g]
            continue
        n_r += 1
        total += values[g]
        s = status[g]
        if s == SMALL:
            hi_r += k - 1
            kinds_r |= 1
        elif s == COMPLEMENT:
            lo_r += k
            hi_r += BIG
            kinds_r |= 2
        else:
            hi_r += BIG
            if s == HIDDEN and values[g] < k:
                kinds_r |= 4
    if (n_l == 0 or n_r == 0) and total < k:  # two published figures differ by fewer than k
        return _hide_another(values, status, known, below, l_cells, l0, l1, r_cells, r0, r1,
                             cost)
    if (kinds_l and _gives_away(kinds_l, c + lo_r - hi_l, c + hi_r - lo_l, k)) or (
            kinds_r and _gives_away(kinds_r, lo_l - c - hi_r, hi_l - c - lo_r, k)):
        return _hide_another(values, status, known, below, l_cells, l0, l1, r_cells, r0, r1,
                             cost)
    return _NOTHING


@njit(cache=True, nogil=True)
def _gives_away(kinds, a, b, k):  # pragma: no cover
    """Whether the identity pins a hidden cell on one side: it confines a cell that the page
    puts in lo..hi to max(lo, a + hi)..min(hi, b + lo). A small figure ("<k", or never shown)
    must stay anywhere in 0..k-1; a "×" figure must at least not be pinned down."""
    if kinds & 1 and (a + k - 1 > 0 or b < k - 1):
        return True
    if kinds & 4 and (a + BIG > 0 or b < k - 1):
        return True
    return bool(kinds & 2 and max(k, a + BIG) >= min(BIG, b + k))


@njit(cache=True, nogil=True)
def _hide_another(values, status, known, below, l_cells, l0, l1, r_cells, r0,
                  r1, cost):  # pragma: no cover
    """Hide the cheapest published cell of the identity (flows and breakdown cells before
    stocks and totals; then the smallest). Either side will do: once the unknowns stand on both
    sides their sum is no longer what two published figures differ by.

    Cells that were only worked out (not published) cannot be hidden; parent cells are fixed:
    when only one of those would do, the smallest is returned as ``-(index + 1)``."""
    size = len(cost)
    best = parent = -1
    for side in range(2):
        cells, a, b = (l_cells, l0, l1) if side == 0 else (r_cells, r0, r1)
        for j in range(a, b):
            g = cells[j]
            if not known[g] or status[g] != PUBLISHED:
                continue
            if g >= below:
                if parent < 0 or values[g] < values[parent]:
                    parent = g
            elif best < 0 or (cost[g % size], values[g], g) < (cost[best % size],
                                                                 values[best], best):
                best = g
    if best >= 0:
        status[best] = COMPLEMENT
        known[best] = 0
        return best
    if parent >= 0:
        return -(parent + 1)
    return _NOTHING


_COSTS: dict[str, np.ndarray] = {}


def _cost_array(lay: Layout | None = None) -> np.ndarray:
    lay = lay or layout()
    found = _COSTS.get(lay.name)
    if found is None:
        found = _COSTS[lay.name] = np.array([spec.cost for spec in lay.cells], np.int64)
    return found
