"""The region tree of a build: its shape, the sums level by level, and disclosure control
over the whole tree, top down, a family at a time."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.stats import disclosure
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


def protect(tree: Tree, vectors: dict[str, array], k: int) -> dict[str, bytearray]:
    """Suppression decisions for every region, top down, a family at a time.

    When a family can only be protected by hiding one of its parent's figures (rare), that
    figure is forced hidden and the parent's own family is settled again, then everything
    below whatever changed.
    """
    size = layout().size
    zero = array("i", bytes(4 * size))
    forced = _small_children(tree, vectors, k)
    status: dict[str, bytearray] = {}
    bounds: dict[str, tuple[list[int], list[int]]] = {}
    root = tree.root

    def settle(parent: str | None, kids: list[str]) -> list[str]:
        """Decide ``kids`` (children of ``parent``); return those whose decision changed."""
        family = [(kid, vectors.get(kid, zero), tree.level[kid]) for kid in kids]
        if parent is None:
            results = disclosure.protect_family(None, family, k, forced)
        else:
            lo, hi = bounds[parent]
            results = disclosure.protect_family(
                (parent, vectors.get(parent, zero), bytes(status[parent]), lo, hi),
                family, k, forced)
        changed = []
        for kid, (st, lo, hi) in zip(kids, results, strict=True):
            if status.get(kid) != st or bounds.get(kid) != (lo, hi):
                changed.append(kid)
            status[kid], bounds[kid] = st, (lo, hi)
        return changed

    queue: list[str | None] = [None]
    for _ in range(100 * len(tree.level) + 100):
        if not queue:
            return status
        parent = queue.pop()
        kids = [root] if parent is None else tree.children.get(parent, [])
        if not kids:
            continue
        try:
            changed = settle(parent, kids)
        except disclosure.Forced as exc:
            log.info("disclosure: hiding %s cell %s of the parent too", exc.region, exc.cell)
            forced.add((exc.region, exc.cell))
            queue.append(parent)  # this family again, after its parent's
            queue.append(tree.parent.get(exc.region) if exc.region != root else None)
            continue
        except disclosure.Widen as exc:
            target = _widen(tree, vectors, status, exc.region, exc.cell)
            if target is None:
                raise RuntimeError("disclosure control cannot protect "  # pragma: no cover
                                   f"{exc.region} cell {exc.cell}") from exc
            log.info("disclosure: hiding %s cell %s to protect below %s", *target, exc.region)
            forced.add(target)
            queue.append(parent)
            queue.append(tree.parent.get(target[0]) if target[0] != root else None)
            continue
        # A child whose decisions changed (or that was never settled) settles its own family.
        queue.extend(kid for kid in changed if kid in tree.children)
    raise RuntimeError("disclosure control did not settle")  # pragma: no cover


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
        largest = list(map(max, zip(*kid_vectors)))
        limit = (len(kid_vectors) - 1) * (k - 1)
        vector = vectors[code]
        child_cells = set(cells_by_level.get(level + 1, []))
        for i in cells_by_level[level]:
            if i in child_cells and largest[i] < k and vector[i] >= k and vector[i] > limit:
                forced.add((code, i))
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
