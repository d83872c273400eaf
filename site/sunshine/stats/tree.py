"""The region tree of a build: its shape, the sums level by level, and disclosure control
over the whole tree, top down, a family at a time."""

from __future__ import annotations

import logging
import os
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.stats import bulk, disclosure
from sunshine.stats.layout import layout

log = logging.getLogger(__name__)


@dataclass
class Tree:
    level: dict[str, int]
    parent: dict[str, str | None]
    children: dict[str, list[str]]
    root: str


def load_tree() -> Tree:
    level: dict[str, int] = {}
    parent: dict[str, str | None] = {}
    children: dict[str, list[str]] = {}
    for code, lvl, parent_code in db.session.execute(
            select(Region.code, Region.level, Region.parent_code).order_by(Region.code)):
        level[code], parent[code] = lvl, parent_code
        if parent_code is not None:
            children.setdefault(parent_code, []).append(code)
    province = current_app.config["PROVINCE_CODE"]
    return Tree(level, parent, children, province)


def sum_up(tree: Tree, vectors: dict[str, array], only: Iterable[str] | None = None) -> None:
    """Fill every region above the villages (or only ``only`` and their ancestors) with the
    sum of its children, lowest level first."""
    size = layout().size
    zero = bytes(4 * size)
    if only is None:
        targets = [c for c in tree.level if tree.level[c] < 5]
    else:
        wanted: set[str] = set()
        for code in only:
            wanted.update(a for a in codes.ancestors_of(code) if a in tree.level)
        targets = list(wanted)
    for code in sorted(targets, key=lambda c: -tree.level[c]):
        kids = [vectors[kid] for kid in tree.children.get(code, []) if kid in vectors]
        vectors[code] = array("i", map(sum, zip(*kids))) if kids else array("i", zero)


# --- disclosure over the whole tree ------------------------------------------------------------


#: From this many regions on, the cities' subtrees are settled ahead in two processes
#: (``_Run.speculate``); smaller trees are settled in this process alone.
PARALLEL_FROM = 2_000
#: The level of the regions whose subtrees are settled ahead, each in one piece: cities (a
#: family below hardly ever changes a city's figures, so the real pass takes nearly all).
SPLIT_LEVEL = 2
PROCESSES = 2

Inputs = tuple[bytes | None, list[int], list[int], frozenset[tuple[str, int]]]
Outcome = list[tuple[bytearray, list[int], list[int]]] | disclosure.Forced | disclosure.Widen


def protect(tree: Tree, vectors: dict[str, array], k: int) -> dict[str, bytearray]:
    """Suppression decisions for every region, top down, a family at a time.

    When a family can only be protected by hiding one of its parent's figures (rare), that
    figure is forced hidden and the parent's own family is settled again, then everything
    below whatever changed.

    On a large tree, the same steps are first taken ahead, the cities' subtrees in two
    processes, remembering each family's outcome with everything it depends on; the real pass
    then takes the remembered outcome wherever those are the same, so the decisions are
    exactly those of the plain pass.
    """
    # Millions of short-lived lists and no reference cycles: the cycle collector would only
    # walk the long-lived ones (the cached family shapes) over and over.
    with bulk.no_gc():
        run = _Run(tree, vectors, k, _small_children(tree, vectors, k))
        if len(tree.level) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
            run.loop([None])
        else:
            _in_two(run)
        return run.status


def _in_two(run: _Run) -> None:
    """Settle the cities' subtrees ahead in forked processes, then take the real pass."""
    with _SHARED_LOCK:  # one such run at a time in a process (threaded servers)
        _in_two_locked(run)


def _in_two_locked(run: _Run) -> None:
    import multiprocessing

    _SHARED[:] = [run.tree, run.vectors, run.k]
    try:
        pool = multiprocessing.get_context("fork").Pool(PROCESSES)
    except OSError:  # pragma: no cover  (no processes to be had: all here, as on a small tree)
        _SHARED[:] = []
        run.loop([None])
        return
    try:
        with pool:
            run.pool = pool
            # The families above the cities' own (quick), to know what each city's subtree
            # starts from; their outcomes serve the real pass too.
            ahead = _Run(run.tree, run.vectors, run.k, set(run.forced), quiet=True)
            ahead.memo = run.memo
            run.speculate(ahead.loop([None], stop_at=SPLIT_LEVEL), ahead)
            run.loop([None])
    finally:
        _SHARED[:] = []


_SHARED: list = []  # the tree, vectors and k, for the forked processes
_SHARED_LOCK = threading.Lock()


class _Run:
    """One pass of the top-down settling, with the outcomes of families remembered."""

    def __init__(self, tree: Tree, vectors: dict[str, array], k: int,
                 forced: set[tuple[str, int]], quiet: bool = False,
                 within: str | None = None) -> None:
        self.tree, self.vectors, self.k, self.forced = tree, vectors, k, forced
        self.quiet = quiet  # settling ahead: the real pass logs
        self.within = within  # settling ahead below this region only
        self.status: dict[str, bytearray] = {}
        self.bounds: dict[str, tuple[list[int], list[int]]] = {}
        self.memo: dict[str | None, list[tuple[Inputs, Outcome]]] = {}
        self.kidsets: dict[str | None, frozenset[str]] = {}
        self.pool: Any = None
        self.zero = array("i", bytes(4 * layout().size))

    def loop(self, queue: list[str | None], stop_at: int | None = None) -> list[str]:
        """Settle families until nothing changes; return the regions at level ``stop_at``
        whose families were left for later (when ``stop_at`` is given)."""
        tree, root, forced = self.tree, self.tree.root, self.forced
        left: list[str] = []
        for _ in range(100 * len(tree.level) + 100):
            if not queue:
                return left
            parent = queue.pop()
            kids = [root] if parent is None else tree.children.get(parent, [])
            if not kids:
                continue
            if parent is not None and tree.level[parent] == stop_at:
                left.append(parent)
                continue
            if self.pool is not None and parent is not None and tree.level[parent] == \
                    SPLIT_LEVEL and self._recall(parent, kids) is None:
                self.speculate([parent] + [q for q in queue if q is not None
                                           and tree.level[q] == SPLIT_LEVEL], self)
            try:
                changed = self.settle(parent, kids)
            except disclosure.Forced as exc:
                if self.within is not None and not self._inside(exc.region):
                    return left
                self._log("disclosure: hiding %s cell %s of the parent too", exc.region,
                          exc.cell)
                forced.add((exc.region, exc.cell))
                queue.append(parent)  # this family again, after its parent's
                queue.append(tree.parent.get(exc.region) if exc.region != root else None)
                continue
            except disclosure.Widen as exc:
                if self.within is not None and not self._inside(exc.region):
                    return left
                target = _widen(tree, self.vectors, self.status, exc.region, exc.cell)
                if self.within is not None and (target is None or not self._inside(target[0])):
                    return left
                if target is None:
                    raise RuntimeError("disclosure control cannot protect "  # pragma: no cover
                                       f"{exc.region} cell {exc.cell}") from exc
                self._log("disclosure: hiding %s cell %s to protect below %s", *target,
                          exc.region)
                forced.add(target)
                queue.append(parent)
                queue.append(tree.parent.get(target[0]) if target[0] != root else None)
                continue
            # A child whose decisions changed (or that was never settled) settles its own family.
            queue.extend(kid for kid in changed if kid in tree.children)
        raise RuntimeError("disclosure control did not settle")  # pragma: no cover

    def settle(self, parent: str | None, kids: list[str]) -> list[str]:
        """Decide ``kids`` (children of ``parent``); return those whose decision changed."""
        inputs = self._inputs(parent, kids)
        outcome = self._recall(parent, kids, inputs)
        if outcome is None:
            try:
                outcome = self._protect(parent, kids)
            except (disclosure.Forced, disclosure.Widen) as exc:
                outcome = exc.with_traceback(None)  # kept: without the frames
            self.memo.setdefault(parent, []).append((inputs, outcome))
        if isinstance(outcome, (disclosure.Forced, disclosure.Widen)):
            raise type(outcome)(outcome.region, outcome.cell)  # a fresh one: no frames kept
        changed = []
        for kid, (st, lo, hi) in zip(kids, outcome, strict=True):
            if self.status.get(kid) != st or self.bounds.get(kid) != (lo, hi):
                changed.append(kid)
            self.status[kid], self.bounds[kid] = st, (lo, hi)
        return changed

    def _protect(self, parent: str | None, kids: list[str]) -> list[tuple[bytearray, list[int],
                                                                          list[int]]]:
        family = [(kid, self.vectors.get(kid, self.zero), self.tree.level[kid]) for kid in kids]
        if parent is None:
            return disclosure.protect_family(None, family, self.k, self.forced)
        lo, hi = self.bounds[parent]
        return disclosure.protect_family(
            (parent, self.vectors.get(parent, self.zero), bytes(self.status[parent]), lo, hi),
            family, self.k, self.forced)

    def _inputs(self, parent: str | None, kids: list[str]) -> Inputs:
        """Everything a family's outcome depends on, besides the vectors and k."""
        kidset = self.kidsets.get(parent)
        if kidset is None:
            kidset = self.kidsets[parent] = frozenset(kids)
        mine = frozenset(x for x in self.forced if x[0] in kidset)
        if parent is None:
            return None, [], [], mine
        lo, hi = self.bounds[parent]
        return bytes(self.status[parent]), lo, hi, mine

    def _recall(self, parent: str | None, kids: list[str],
                inputs: Inputs | None = None) -> Outcome | None:
        if parent not in self.memo:
            return None
        if inputs is None:
            inputs = self._inputs(parent, kids)
        for seen, outcome in self.memo[parent]:
            if seen == inputs:
                return outcome
        return None

    def speculate(self, regions: list[str], source: _Run) -> None:
        """Settle the subtrees of ``regions`` ahead, in two processes, as ``source`` stands."""
        jobs = []
        for code in dict.fromkeys(regions):
            if code in source.status and self._recall(code, self.tree.children[code]) is None:
                jobs.append((code, bytes(source.status[code]), *source.bounds[code],
                             source.forced))
        if len(jobs) < 2:
            return  # one subtree: as quick to settle it here, when its turn comes
        # The largest subtrees first: the two processes then finish at about the same time.
        jobs.sort(key=lambda job: -sum(len(self.tree.children.get(kid, []))
                                       for kid in self.tree.children[job[0]]))
        for memo in self.pool.imap_unordered(_ahead, jobs):
            for parent, seen in memo.items():
                self.memo.setdefault(parent, []).extend(seen)

    def _inside(self, code: str) -> bool:
        """Whether ``code`` is strictly below the region settled ahead."""
        parent = self.tree.parent.get(code)
        while parent is not None:
            if parent == self.within:
                return True
            parent = self.tree.parent.get(parent)
        return False

    def _log(self, message: str, *args: object) -> None:
        if not self.quiet:
            log.info(message, *args)


def _ahead(job: tuple[str, bytes, list[int], list[int], set[tuple[str, int]]]
           ) -> dict[str | None, list[tuple[Inputs, Outcome]]]:
    """In a forked process: settle one subtree as the real pass would, until something would
    change above it; return the outcomes."""
    code, status, lo, hi, forced = job
    tree, vectors, k = _SHARED
    run = _Run(tree, vectors, k, set(forced), quiet=True, within=code)
    run.status[code], run.bounds[code] = bytearray(status), (lo, hi)
    run.loop([code])
    return run.memo


def _small_children(tree: Tree, vectors: dict[str, array], k: int) -> set[tuple[str, int]]:
    """Figures to hide from the start (saving restarts): a region's figure whose children are
    all small, when it is so large that it would pin each child above zero (more than
    (n-1)(k-1) for n children)."""
    lay = layout()
    cells_by_level = {level: [i for i, spec in enumerate(lay.cells)
                              if not spec.people and level in spec.levels]
                      for level in range(1, 6)}
    forced: set[tuple[str, int]] = set()
    for code, kids in tree.children.items():
        level = tree.level[code]
        kid_vectors = [vectors[kid] for kid in kids if kid in vectors]
        if not kid_vectors or level not in cells_by_level:
            continue
        below = set(cells_by_level.get(level + 1, []))
        cells = np.array([i for i in cells_by_level[level] if i in below], np.intp)
        largest = np.array(kid_vectors, np.int64)[:, cells].max(axis=0)
        vector = np.asarray(vectors[code], np.int64)[cells]
        limit = (len(kid_vectors) - 1) * (k - 1)
        hide = (largest < k) & (vector >= k) & (vector > limit)
        forced.update((code, i) for i in cells[hide].tolist())
    return forced


def _widen(tree: Tree, vectors: dict[str, array], status: dict[str, bytearray], code: str,
           cell: int) -> tuple[str, int] | None:
    """The figure to hide so that less is known about ``code``'s figure ``cell``: the smallest
    published one among its siblings, else the parent's own, else the same one level up."""
    while code != tree.root:
        parent = tree.parent.get(code)
        if parent is None:
            return None
        siblings = [s for s in tree.children.get(parent, []) if s != code
                    and status.get(s) is not None and status[s][cell] == disclosure.PUBLISHED]
        if siblings:
            return min(siblings, key=lambda s: (vectors[s][cell], s)), cell
        if status.get(parent) is not None and status[parent][cell] == disclosure.PUBLISHED:
            return parent, cell
        code = parent
    return None
