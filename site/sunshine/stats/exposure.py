"""What an attacker works out from everything published over the whole region tree, and which
figure to hide next when that gives a small count away: the check after the local ones.

The local checks (``settle``) look at one identity at a time, with the bounds a page shows.
An attacker can carry what one identity says about a hidden figure into every other one: a
city's hidden total that its published months put at 51 or more, in a province total that
leaves 51 for the city and the province's own row, says that the row is 0. ``Attacker`` is
that attacker, run to the end:

* every identity anyone knows, for every region at once: the relations inside a region
  (``Layout.relations``) and a region's figure as the sum of its children's, for every
  household cell (people cells are shown or hidden with their households);
* the bounds the pages show: a published figure is itself, "<k" is 0..k-1, "×" at least k,
  "—" and figures never shown are at least 0;
* each identity tightens the bounds of its cells from the bounds of the others (interval
  propagation, integer, with unbounded figures kept unbounded), over and over until no bound
  changes: a fixed point, which does not depend on the order the identities are taken in.

At that fixed point the engine demands what ``tests/stats/auditor.py`` checks: no hidden
figure under k is pinned to one value, and no identity leaves its undetermined figures (those
not pinned) all on one side with a sum of 1..k-1 (two published figures that differ by a few
households). When one does, one more published figure is hidden (``cells_to_hide``) and the
families concerned are settled again, until nothing is given away.

Each round after the first starts from the last fixed point: only the bounds worked out (through
the log of tightenings) from a figure whose status changed go back to what the page shows, and
only their identities are taken again. The fixed point is the same as from the page bounds
alone (``tests/stats/test_disclosure_attack.py``); a round costs what the change reaches.

Not covered: an attacker who solves the identities as a linear program (exact bounds) can
sometimes go further than interval propagation; so can one who reasons over the people counts.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np

from sunshine.stats import intervals
from sunshine.stats.layout import Layout
from sunshine.stats.settle import PUBLISHED

#: A cell's lower and upper bound.
LO, HI = 0, 1


@dataclass
class Attack:
    """The bounds before and after the attack (flat cells), and what it gives away."""

    status: np.ndarray
    lo0: np.ndarray
    hi0: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    pinned: list[int]  # hidden figures under k pinned to one value
    few: list[int]  # identities whose undetermined figures add up to 1..k-1 on one side

    @cached_property
    def tight(self) -> memoryview:
        """For each cell, bit LO: the attack moved its lower bound beyond what the page shows;
        bit HI: its upper bound (read cell by cell, a memoryview is the quickest)."""
        return ((self.lo > self.lo0) | ((self.hi < self.hi0) << 1)).astype(np.uint8).data

    @cached_property
    def shown(self) -> memoryview:
        """The statuses, to read cell by cell."""
        return self.status.data


@dataclass
class _Log:
    """The tightenings of the propagation so far: time, cell and identity of each (the first
    ``used``), and the next time."""

    t: np.ndarray
    c: np.ndarray
    i: np.ndarray
    used: int
    clock: int

    @staticmethod
    def empty(room: int) -> _Log:
        return _Log(np.empty(room, np.int64), np.empty(room, np.int32),
                    np.empty(room, np.int32), 0, 0)

    def grow(self) -> None:
        room = 2 * len(self.t) + (1 << 16)
        self.t, self.c, self.i = (np.concatenate([a, np.empty(room - len(a), a.dtype)])
                                  for a in (self.t, self.c, self.i))


@dataclass
class _Round:
    """The last attack: its page bounds, its fixed point (both bounds side by side) and how
    it got there."""

    lo0: np.ndarray
    hi0: np.ndarray
    both: np.ndarray
    log: _Log


class Attacker:
    """The identities of a whole region tree (built once), and the attack on a set of
    decisions (``cells_to_hide``).

    Cells are numbered region by region (``position * size + cell``). Identity ``ci`` is, for
    ``ci < regions * relations``, relation ``ci % relations`` of region ``ci // relations``;
    after those, a parent's household cell as the sum of its children's, parent by parent."""

    def __init__(self, tree_level: Mapping[str, int], children: Mapping[str, list[str]],
                 vectors: Mapping[str, array], k: int, lay: Layout) -> None:
        self.codes = list(tree_level)
        self.levels = np.array([tree_level[c] for c in self.codes], np.int64)
        position = {code: p for p, code in enumerate(self.codes)}
        self.size = size = lay.size
        self.k = k
        zero = array("i", bytes(4 * size))
        self.values = np.frombuffer(b"".join(vectors.get(c, zero).tobytes()
                                             for c in self.codes), np.int32)
        cells, signs, ptr = [], [], [0]
        for lhs, rhs in lay.relations:
            cells += [*lhs, *rhs]
            signs += [1] * len(lhs) + [-1] * len(rhs)
            ptr.append(len(cells))
        self.t_cell = np.array(cells, np.int64)
        self.t_sign = np.array(signs, np.int64)
        self.t_ptr = np.array(ptr, np.int64)
        owners = np.repeat(np.arange(len(lay.relations)), np.diff(self.t_ptr))
        order = np.argsort(self.t_cell, kind="stable")
        self.r_of = owners[order]
        self.r_ptr = np.append(0, np.cumsum(np.bincount(self.t_cell, minlength=size)))
        self.hh = np.array(lay.household_cells(), np.int64)
        self.hpos = np.full(size, -1, np.int64)
        self.hpos[self.hh] = np.arange(len(self.hh))
        parents = [c for c in self.codes if children.get(c)]
        self.parents = np.array([position[c] for c in parents], np.int64)
        self.par_idx = np.full(len(self.codes), -1, np.int64)
        self.up_idx = np.full(len(self.codes), -1, np.int64)
        kids: list[int] = []
        kid_ptr = [0]
        for pi, code in enumerate(parents):
            self.par_idx[position[code]] = pi
            for kid in children[code]:
                kids.append(position[kid])
                self.up_idx[position[kid]] = pi
            kid_ptr.append(len(kids))
        self.kids = np.array(kids, np.int64)
        self.kid_ptr = np.array(kid_ptr, np.int64)
        longest = max([int(np.diff(self.t_ptr).max()) if len(lay.relations) else 0]
                      + [1 + len(children[c]) for c in parents])
        self.buf_c = np.empty(longest + 1, np.int64)
        self.buf_s = np.empty(longest + 1, np.int64)
        self.shape = (size, len(self.codes), len(lay.relations), len(self.hh), self.t_ptr,
                      self.t_cell, self.t_sign, self.r_ptr, self.r_of, self.hpos, self.hh,
                      self.par_idx, self.up_idx, self.parents, self.kid_ptr, self.kids)
        self.cost = np.array([spec.cost for spec in lay.cells], np.int64)
        self.cost_list = self.cost.tolist()
        self.level_list = (-self.levels).tolist()
        self.rel_terms = [([*lhs, *rhs], [1] * len(lhs) + [-1] * len(rhs))
                          for lhs, rhs in lay.relations]
        self.hh_list = self.hh.tolist()
        self.parent_list = self.parents.tolist()
        self.kid_lists = [self.kids[a:b].tolist() for a, b in pairwise(kid_ptr)]
        self.out = np.empty(int(np.diff(self.r_ptr).max(initial=0)) + 2, np.int64)
        self.value_at = self.values.data
        self.identities = len(self.codes) * len(lay.relations) + len(parents) * len(self.hh)
        self._last: _Round | None = None

    def bounds(self, status: Mapping[str, bytes | bytearray]) -> tuple[np.ndarray, np.ndarray,
                                                                       np.ndarray]:
        """The statuses flattened, and the bounds the pages show."""
        st = np.frombuffer(b"".join(status[c] for c in self.codes), np.uint8)
        lo = np.empty(len(st), np.int32)
        hi = np.empty(len(st), np.int32)
        intervals.page_bounds(st, self.values, self.k, lo, hi)
        return st, lo, hi

    def attack(self, status: Mapping[str, bytes | bytearray]) -> Attack:
        """The bounds at the fixed point, and what they give away: hidden small figures pinned
        (flat cells), identities whose undetermined figures differ from published ones by a
        few."""
        st, lo0, hi0 = self.bounds(status)
        both, seed = self._start(lo0, hi0)
        lo, hi = both[:, 0], both[:, 1]
        last, self._last = self._last, None
        log = last.log if last is not None else _Log.empty(4 * len(st))
        queue, queued, state = intervals.queue_of(seed, self.identities)
        while True:
            used = intervals.propagate(lo, hi, queue, queued, state, log.clock, log.t, log.c,
                                       log.i, log.used, self.buf_c, self.buf_s, *self.shape)
            if used < 0:  # pragma: no cover
                raise RuntimeError("disclosure control: the figures break an identity")
            log.used = used
            if not state[1]:
                break
            log.grow()
        log.clock += int(state[2]) + 1
        self._last = _Round(lo0, hi0, both, log)
        closed = intervals.closed(st, lo, hi, self.hpos, self.size)
        small = closed[(self.values[closed] < self.k) & (lo0[closed] < hi0[closed])]
        few = intervals.differ_by_few(closed, lo, hi, self.values, self.k, self.buf_c,
                                      self.buf_s, *self.shape) if len(closed) else []
        return Attack(st, lo0, hi0, lo, hi, small.tolist(), sorted(few))

    def _start(self, lo0: np.ndarray, hi0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the propagation starts, and the identities it takes first.

        The first attack starts from the page bounds and takes every identity. A later one
        (a few figures hidden or shown since) keeps the last fixed point's bounds that rest on
        no page bound that changed: ``intervals.invalidated`` follows the log of tightenings
        from the changed cells, and every bound it reaches goes back to the page's. Those
        kept lie between the new fixed point and the page bounds (each was worked out from
        bounds that still hold), so the propagation ends at the same fixed point as from the
        page bounds alone; the identities to take first are those of the cells set back
        (every other identity holds, as it held at the last fixed point).
        """
        # A cell's two bounds side by side: the attack reads both at once (a tenth faster).
        both = np.empty((len(lo0), 2), np.int32)
        last = self._last
        if last is None:
            both[:, 0], both[:, 1] = lo0, hi0
            return both, intervals.tree_order(*self.shape[1:4], self.par_idx, self.parents)
        changed = np.flatnonzero((lo0 != last.lo0) | (hi0 != last.hi0))
        log = last.log
        since, log.used = intervals.invalidated(
            changed, len(lo0), log.t, log.c, log.i, log.used, *self.shape[:4], self.r_ptr,
            self.r_of, self.hpos, self.par_idx, self.up_idx, self.parents)
        back = np.flatnonzero(since < intervals.NEVER)
        both[:] = last.both
        both[back, 0], both[back, 1] = lo0[back], hi0[back]
        return both, intervals.identities_of(back, *self.shape[:4], self.r_ptr, self.r_of,
                                             self.hpos, self.par_idx, self.up_idx,
                                             self.parents)

    def cells_to_hide(self, status: Mapping[str, bytes | bytearray]) -> list[tuple[str, int]]:
        """Published figures to hide so that the attack gives less away: one for each finding,
        the cheapest that takes part in what pins it (see ``_choose``); a finding that a figure
        already chosen may settle waits for the next round. Empty when nothing is given away.
        """
        found = self.attack(status)
        options = []
        for g in found.pinned:
            start = [(c, g, side) for side in (LO, HI) if self._tighter(found, g, side)
                     for c in self._supports(found, g, side)]
            options.append(self._choose(found, start, []))
        for ci in found.few:
            # What makes it few: the hidden figures the attack pinned.
            cells, _ = self._terms(ci)
            closed = [(h, side) for h in cells if found.shown[h] != PUBLISHED
                      and found.lo[h] == found.hi[h] for side in (LO, HI)
                      if self._tighter(found, h, side)]
            options.append(self._choose(found, [], [ci], closed))
        chosen: list[int] = []
        for best, explored in sorted(options, key=lambda o: self._key(o[0])):
            if best not in chosen and not any(g in explored for g in chosen):
                chosen.append(best)
        return [(self.codes[g // self.size], g % self.size) for g in chosen]

    def _key(self, g: int) -> tuple[int, int, int, str, int]:
        """Cheapest first: flows and breakdown cells before totals, lower regions before higher
        ones, then the smallest figure."""
        p, i = divmod(g, self.size)
        return self.cost_list[i], self.level_list[p], self.value_at[g], self.codes[p], i

    def _terms(self, ci: int) -> tuple[list[int], list[int]]:
        """Identity ``ci`` as signed cells (as ``intervals.terms``, without a call into compiled
        code for each)."""
        size, regions, relations, households = self.shape[:4]
        if ci < regions * relations:
            p, j = divmod(ci, relations)
            cells, signs = self.rel_terms[j]
            return [p * size + c for c in cells], signs
        pi, h = divmod(ci - regions * relations, households)
        i = self.hh_list[h]
        kids = self.kid_lists[pi]
        return ([self.parent_list[pi] * size + i] + [kid * size + i for kid in kids],
                [1] + [-1] * len(kids))

    @staticmethod
    def _tighter(found: Attack, g: int, side: int) -> bool:
        """Whether the attack moved that bound of ``g`` beyond what the page shows."""
        return bool(found.tight[g] >> side & 1)

    def _supports(self, found: Attack, g: int, side: int) -> list[int]:
        """The identities that give ``g`` that bound (at the fixed point)."""
        m = intervals.supports(g, side, found.lo, found.hi, self.out, self.buf_c, self.buf_s,
                               *self.shape)
        return self.out[:m].tolist()

    def _choose(self, found: Attack, start: list[tuple[int, int, int]], identities: list[int],
                bounds: list[tuple[int, int]] | None = None) -> tuple[int, set[int]]:
        """The cheapest published figure in what gives a finding away, looked for outwards.

        ``start``: (identity, cell, side) triples, each an identity that gives that bound of
        the cell; ``identities`` and ``bounds``: identities, and (cell, side) bounds, that give
        the finding away together. An identity's published figures are candidates; its hidden
        figures' bounds that took part (for a cell's lower bound: the upper bounds of the
        figures on its side and the lower bounds of those on the other) are followed to the
        identities that give them, until a level has candidates. Returns the cheapest and the
        figures looked at (a finding waits when a figure chosen for another is among them).
        """
        explored: set[int] = set()
        seen: set[tuple[int, int]] = set()
        # (identity, cell, side): the identity gives that bound of the cell (cell -1: the
        # identity gives the finding away itself).
        level = [(c, -1, LO) for c in identities] + start
        pending = list(bounds or [])
        while level or pending:
            for h, side in pending:
                if (h, side) not in seen:
                    seen.add((h, side))
                    level += [(c, h, side) for c in self._supports(found, h, side)]
            pending = []
            candidates: list[int] = []
            for ci, g, side in sorted(set(level)):
                cells, signs = self._terms(ci)
                sign = signs[cells.index(g)] if g >= 0 else 0
                for h, s in zip(cells, signs, strict=True):
                    if h == g:
                        continue
                    explored.add(h)
                    if found.shown[h] == PUBLISHED:
                        candidates.append(h)
                    elif g >= 0:
                        # g's lower bound rests on the upper bounds of the figures on its side
                        # and the lower bounds of the others (its upper bound, the reverse).
                        wanted = (HI if (s == sign) == (side == LO) else LO)
                        if self._tighter(found, h, wanted):
                            pending.append((h, wanted))
            if candidates:
                return min(candidates, key=self._key), explored
            level = []
        raise RuntimeError(  # pragma: no cover
            "disclosure control: a small figure is given away by the markers alone")
