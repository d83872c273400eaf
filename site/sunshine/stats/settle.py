"""The engine behind ``disclosure.protect_family``: the identities of a family, and the local
checks that hide one more cell at a time until no identity gives a hidden small count away.

Kept apart from ``disclosure.py`` (the public door) because it is tuned for speed: a province
settles about a million identities. The decisions do not depend on any of the tuning: the
checks run in the same order as the plain loop would run them (see ``settle_locally``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from sunshine.stats.layout import layout

#: Status of a cell, stored as one byte per cell in the rollup row.
PUBLISHED, SMALL, COMPLEMENT, HIDDEN = 0, 1, 2, 3
BIG = 1 << 40

Constraint = tuple[Sequence[int], Sequence[int]]


@dataclass
class Family:
    """The cells of one family, flattened: children first, then the parent. ``status`` and
    ``known`` are bytearrays (fast to index, and numpy reads them without a copy)."""

    values: list[int]
    array: np.ndarray  # the same values (int64), for numpy
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


_LEVELS: dict[int, Level] = {}


def level(lvl: int) -> Level:
    """The cells and identities of a region at level ``lvl`` (cached)."""
    found = _LEVELS.get(lvl)
    if found is None:
        lay = layout()
        template = np.full(lay.size, PUBLISHED, np.uint8)
        candidates = np.zeros(lay.size, bool)
        for i, spec in enumerate(lay.cells):
            if spec.people:
                continue
            if lvl in spec.levels:
                candidates[i] = True
            else:
                template[i] = HIDDEN
        relations = _relations_for(lvl)
        sibling_cells = np.flatnonzero(candidates)
        runs = []
        for side in (0, 1):
            cells = [i for relation in relations for i in (*relation[side], -1)]
            ends = np.flatnonzero(np.array(cells, np.intp) < 0)
            runs.append((np.array(cells, np.intp), np.append(0, ends[:-1] + 1)[:len(ends)]))
        found = _LEVELS[lvl] = Level(template, candidates, relations, sibling_cells,
                                     tuple(runs))
    return found


def _relations_for(lvl: int) -> list[Constraint]:
    """The identities that can give something away at this level.

    Left out: those without a cell published at this level, and those with, on each side, a
    cell that is never published here and can never be worked out: such an identity always has
    unknowns on both sides, one of them unbounded, so it pins nothing.
    """
    lay = layout()
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
    identity as runs of cells for numpy (each run closed by the dummy, so none is empty), and
    the identities each cell is in."""

    def __init__(self, lvl: int, n: int, with_parent: bool) -> None:
        size = layout().size
        info = level(lvl)
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
        self.sizes_array = ends[0] - sides[1] + ends[1] - sides[3] - 2
        self.sizes: list[int] = self.sizes_array.tolist()
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
        self.members: list[int] = owners[order].tolist()
        self.first: list[int] = np.append(0, np.cumsum(np.bincount(cells, minlength=dummy + 1))
                                          ).tolist()


_STRUCTURES: dict[tuple[int, int, bool], Structure] = {}


def structure(lvl: int, n: int, with_parent: bool) -> Structure:
    """The identities of a family of ``n`` children at level ``lvl``. Cached per shape."""
    key = (lvl, n, with_parent)
    found = _STRUCTURES.get(key)
    if found is None:
        found = Structure(lvl, n, with_parent)
        if len(_STRUCTURES) < 400:
            _STRUCTURES[key] = found
    return found


def settle_locally(fam: Family, shape: Structure) -> int | None:
    """The local checks until nothing changes; a parent cell's flat index when only hiding it
    would do.

    The order is the plain one: the identities with a known and an unknown cell, in order, each
    followed by whatever its change makes worth looking at again (last in, first out). An
    identity whose check cannot change anything (``_first_look``) is skipped in the first sweep
    unless one of its cells changed before its turn: skipping it changes nothing.
    """
    constraints, sizes, members, first_of = (shape.constraints, shape.sizes, shape.members,
                                             shape.first)
    queued, look, unknowns = _first_look(fam, shape)
    known, status, values, k = fam.known, fam.status, fam.values, fam.k
    changes = 0
    limit = 2 * len(fam.values)
    swept = 0  # the first sweep has passed the identities before this one
    while (start := look.find(1, swept)) >= 0:
        # Passed by: nothing changed in them since the start, so checking them would not
        # either. (Nothing else is queued between two turns of the first sweep.)
        queued[swept:start + 1] = bytes(start + 1 - swept)
        swept = start + 1
        pending = [start]
        while pending:
            ci_ = pending.pop()
            queued[ci_] = look[ci_] = 0
            unknown = unknowns[ci_]
            if unknown == 0 or unknown == sizes[ci_]:
                continue  # nothing hidden, or nothing known: ``check`` would do nothing
            lhs, rhs = constraints[ci_]
            if unknown > 1:
                touched = check(fam, lhs, rhs)
            else:  # one unknown (most often): it is determined
                for g in lhs:
                    if not known[g]:
                        break
                else:
                    for g in rhs:  # noqa: B007
                        if not known[g]:
                            break
                s = status[g]
                if s == SMALL or s == COMPLEMENT or values[g] < k:
                    touched = _hide_another(fam, lhs, rhs)
                else:  # a big hidden figure: harmless, but now the attacker knows it
                    known[g] = 1
                    touched = g
            if touched is None:
                continue
            if touched < 0:
                return -touched - 1
            changes += 1  # a cell is hidden, or worked out, at most once each
            if changes > limit:  # pragma: no cover  (defensive)
                raise RuntimeError("disclosure control did not settle")
            delta = -1 if known[touched] else 1
            for other in members[first_of[touched]:first_of[touched + 1]]:
                unknowns[other] += delta
                if queued[other]:
                    look[other] = 1  # if still waiting for its turn in the first sweep, look
                else:
                    queued[other] = 1
                    pending.append(other)
    return None


def _first_look(fam: Family, shape: Structure) -> tuple[bytearray, bytearray, list[int]]:
    """All identities at once (numpy): whether each has a known and an unknown cell (those
    are the first sweep), whether ``check`` could change anything for it as things stand (the
    same arithmetic, summed per side), and how many unknowns each has."""
    k = fam.k
    n_cells = len(fam.values)
    known = np.frombuffer(fam.known, np.uint8).astype(bool)
    status = np.frombuffer(fam.status, np.uint8)
    values = fam.array
    unknown = ~known
    small = unknown & (status == SMALL)
    comp = unknown & (status == COMPLEMENT)
    hidden_small = unknown & (status == HIDDEN) & (values < k)
    # Per cell, summed per side of each identity: counts packed 16 bits apiece, values.
    packed = np.zeros(n_cells + 1, np.int64)
    packed[:n_cells] = (small + (comp.astype(np.int64) << 16)
                        + (hidden_small.astype(np.int64) << 32)
                        + (unknown.astype(np.int64) << 48))
    every = np.zeros(n_cells + 1, np.int64)
    every[:n_cells] = values
    hidden = np.zeros(n_cells + 1, np.int64)
    hidden[:n_cells] = np.where(unknown, values, 0)
    sums = []
    for cells, starts in (shape.sides[:2], shape.sides[2:]):
        sums.append([np.add.reduceat(feature[cells], starts) for feature in (packed, every,
                                                                             hidden)])
    (pack_l, all_l, hid_l), (pack_r, all_r, hid_r) = sums
    kinds_l = [(pack_l >> shift) & 0xFFFF for shift in (0, 16, 32, 48)]
    kinds_r = [(pack_r >> shift) & 0xFFFF for shift in (0, 16, 32, 48)]
    unknown_l, unknown_r = kinds_l[3], kinds_r[3]
    count = unknown_l + unknown_r
    mixed = (count > 0) & (count < shape.sizes_array)
    active = (count == 1) | (((unknown_l == 0) | (unknown_r == 0)) & (hid_l + hid_r < k))
    c = (all_r - hid_r) - (all_l - hid_l)  # sum(unknown_l) - sum(unknown_r) = c
    lo_l, lo_r = kinds_l[1] * k, kinds_r[1] * k
    hi_l = kinds_l[0] * (k - 1) + (unknown_l - kinds_l[0]) * BIG
    hi_r = kinds_r[0] * (k - 1) + (unknown_r - kinds_r[0]) * BIG
    active |= _gives_away_all(kinds_l, c + lo_r - hi_l, c + hi_r - lo_l, k)
    active |= _gives_away_all(kinds_r, lo_l - c - hi_r, hi_l - c - lo_r, k)
    active &= mixed
    return (bytearray(mixed.astype(np.uint8).tobytes()),
            bytearray(active.astype(np.uint8).tobytes()), count.tolist())


def _gives_away_all(kinds: list[np.ndarray], a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """``_gives_away`` for every identity; ``kinds`` counts each kind of unknown per identity
    ("<k", "×", small and never shown)."""
    smalls = (kinds[0] > 0) & ((a + k - 1 > 0) | (b < k - 1))
    comps = (kinds[1] > 0) & (np.maximum(k, a + BIG) >= np.minimum(BIG, b + k))
    hidden = (kinds[2] > 0) & ((a + BIG > 0) | (b < k - 1))
    return smalls | comps | hidden


def check(fam: Family, lhs: Sequence[int], rhs: Sequence[int]) -> int | None:
    """Look at one identity with two unknown cells or more and one known at least (between
    unknowns alone an identity pins nothing: the bounds a page reveals are never tight enough
    on both sides at once); hide one more cell when it gives something away.

    Returns None when nothing changed, the flat index of the newly hidden cell, or ``-(g + 1)``
    when only the parent's cell ``g`` could fix it.
    """
    known = fam.known
    values = fam.values
    status = fam.status
    k = fam.k
    unknown_l = [g for g in lhs if not known[g]]
    unknown_r = [g for g in rhs if not known[g]]
    if not unknown_l or not unknown_r:
        total = 0
        for g in unknown_l or unknown_r:
            total += values[g]
        if total < k:  # two published figures differ by fewer than k
            return _hide_another(fam, lhs, rhs)
    # Bounds: what the identity says about each unknown, given what the page says of the others.
    c = 0  # sum(unknown_l) - sum(unknown_r) = c
    for g in rhs:
        if known[g]:
            c += values[g]
    for g in lhs:
        if known[g]:
            c -= values[g]
    lo_l = hi_l = lo_r = hi_r = 0
    kinds_l = kinds_r = 0  # bits: 1 a "<k" cell, 2 a "×" cell, 4 a small cell never shown
    for g in unknown_l:
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
    for g in unknown_r:
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
    if (kinds_l and _gives_away(kinds_l, c + lo_r - hi_l, c + hi_r - lo_l, k)) or (
            kinds_r and _gives_away(kinds_r, lo_l - c - hi_r, hi_l - c - lo_r, k)):
        return _hide_another(fam, lhs, rhs)
    return None


def _gives_away(kinds: int, a: int, b: int, k: int) -> bool:
    """Whether the identity pins a hidden cell on one side: it confines a cell that the page
    puts in lo..hi to max(lo, a + hi)..min(hi, b + lo). A small figure ("<k", or never shown)
    must stay anywhere in 0..k-1; a "×" figure must at least not be pinned down."""
    if kinds & 1 and (a + k - 1 > 0 or b < k - 1):
        return True
    if kinds & 4 and (a + BIG > 0 or b < k - 1):
        return True
    return bool(kinds & 2 and max(k, a + BIG) >= min(BIG, b + k))


def _hide_another(fam: Family, lhs: Sequence[int], rhs: Sequence[int]) -> int | None:
    """Hide the cheapest published cell of the identity (flows and breakdown cells before
    stocks and totals; then the smallest). Either side will do: once the unknowns stand on both
    sides their sum is no longer what two published figures differ by."""
    below = fam.modifiable_below
    known, status, values = fam.known, fam.status, fam.values
    cost = _costs()
    size = len(cost)
    best = None
    best_key = None
    for g in lhs + rhs:
        if g < below and known[g] and status[g] == PUBLISHED:
            key_ = (cost[g % size], values[g], g)
            if best_key is None or key_ < best_key:
                best, best_key = g, key_
    if best is not None:
        status[best] = COMPLEMENT
        known[best] = 0
        return best
    # Cells that were only worked out (not published) cannot be hidden; parent cells are fixed.
    parent_cells = [g for g in lhs + rhs if g >= below and known[g] and status[g] == PUBLISHED]
    if parent_cells:
        return -(min(parent_cells, key=values.__getitem__) + 1)
    return None


@cache
def _costs() -> list[int]:
    return [spec.cost for spec in layout().cells]
