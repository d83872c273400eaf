"""The region tree of a build: its shape, the sums level by level, and disclosure control
over the whole tree, top down, a family at a time."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.stats import bulk, disclosure, exposure
from sunshine.stats.layout import Layout, layout

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


def sum_up(tree: Tree, vectors: dict[str, array], only: Iterable[str] | None = None,
           lay: Layout | None = None) -> None:
    """Fill every region above the villages (or only ``only`` and their ancestors) with the
    sum of its children, lowest level first."""
    size = (lay or layout()).size
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
        vectors[code] = array("i", map(sum, zip(*kids, strict=True))) if kids else array("i", zero)


# --- disclosure over the whole tree ------------------------------------------------------------


Inputs = tuple[bytes | None, list[int], list[int], frozenset[tuple[str, int]]]
Outcome = list[tuple[bytearray, list[int], list[int]]] | disclosure.Forced | disclosure.Widen


def protect(tree: Tree, vectors: dict[str, array], k: int,
            lay: Layout | None = None) -> dict[str, bytearray]:
    """Suppression decisions for every region, top down, a family at a time (cells and
    identities of ``lay``, the household register's by default).

    When a family can only be protected by hiding one of its parent's figures (rare), that
    figure is forced hidden and the parent's own family is settled again, then everything
    below whatever changed. Then the attack over the whole tree (``exposure``): while it gives
    a small figure away, the figures it names are hidden too and their families settled again.
    """
    # Many short-lived arrays and no reference cycles: the cycle collector would only walk the
    # long-lived ones (the cached family shapes) over and over.
    with bulk.no_gc():
        lay = lay or layout()
        run = _Run(tree, vectors, k, _small_children(tree, vectors, k, lay), lay)
        run.loop([None])
        attacker = exposure.Attacker(tree.level, tree.children, vectors, k, lay)
        for _ in range(lay.size * len(tree.level)):
            hide = attacker.cells_to_hide(run.status)
            if not hide:
                return run.status
            log.info("disclosure: hiding %s so that no identity gives another away", hide)
            run.forced.update(hide)
            families = {tree.parent.get(code) for code, _ in hide}
            run.loop(sorted(families, key=lambda code: code or ""))
        raise RuntimeError("disclosure control did not settle")  # pragma: no cover


class _Run:
    """The top-down settling, with the outcomes of families remembered (a family settled again
    with the same inputs, after a change above it that did not reach it, is not recomputed)."""

    def __init__(self, tree: Tree, vectors: dict[str, array], k: int,
                 forced: set[tuple[str, int]], lay: Layout) -> None:
        self.tree, self.vectors, self.k, self.forced, self.lay = tree, vectors, k, forced, lay
        self.status: dict[str, bytearray] = {}
        self.bounds: dict[str, tuple[list[int], list[int]]] = {}
        self.memo: dict[str | None, list[tuple[Inputs, Outcome]]] = {}
        self.kidsets: dict[str | None, frozenset[str]] = {}
        self.zero = array("i", bytes(4 * lay.size))

    def loop(self, queue: list[str | None]) -> None:
        """Settle families until nothing changes."""
        tree, root, forced = self.tree, self.tree.root, self.forced
        for _ in range(100 * len(tree.level) + 100):
            if not queue:
                return
            parent = queue.pop()
            kids = [root] if parent is None else tree.children.get(parent, [])
            if not kids:
                continue
            try:
                changed = self.settle(parent, kids)
            except disclosure.Forced as exc:
                log.debug("disclosure: hiding %s cell %s of the parent too", exc.region,
                         exc.cell)
                forced.add((exc.region, exc.cell))
                queue.append(parent)  # this family again, after its parent's
                queue.append(tree.parent.get(exc.region) if exc.region != root else None)
                continue
            except disclosure.Widen as exc:
                target = _widen(tree, self.vectors, self.status, exc.region, exc.cell)
                if target is None:
                    raise RuntimeError("disclosure control cannot protect "  # pragma: no cover
                                       f"{exc.region} cell {exc.cell}") from exc
                log.debug("disclosure: hiding %s cell %s to protect below %s", *target,
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
        outcome = self._recall(parent, inputs)
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
            return disclosure.protect_family(None, family, self.k, self.forced, self.lay)
        lo, hi = self.bounds[parent]
        return disclosure.protect_family(
            (parent, self.vectors.get(parent, self.zero), bytes(self.status[parent]), lo, hi),
            family, self.k, self.forced, self.lay)

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

    def _recall(self, parent: str | None, inputs: Inputs) -> Outcome | None:
        for seen, outcome in self.memo.get(parent, ()):
            if seen == inputs:
                return outcome
        return None


def _small_children(tree: Tree, vectors: dict[str, array], k: int,
                    lay: Layout) -> set[tuple[str, int]]:
    """Figures to hide from the start (saving restarts): a region's figure whose children are
    all small, when it is so large that it would pin each child above zero (more than
    (n-1)(k-1) for n children)."""
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
