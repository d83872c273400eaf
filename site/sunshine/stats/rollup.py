"""Rollups: every region's counts, built villages first and summed level by level.

A village's vector comes from one pass over its households (a key range of the register);
towns, counties, cities and the province are the sums of their children. Then disclosure
control decides, top down, what may be published, and each region's counts and decisions are
written as one row. After an import or a change only the villages concerned are read again
(``rebuild_villages``); ``rebuild_all`` recomputes everything. Each build checks that the
province's totals equal the register's.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.stats import bulk, disclosure, vocab
from sunshine.stats.layout import EFFECT_GROUPS, EFFECT_LAST_COHORT, layout
from sunshine.stats.models import Build, Household, Rollup

log = logging.getLogger(__name__)

HOUSEHOLD_COLUMNS = ("id", "main_cause", "size", "measures", "entered", "exited", "returned",
                     "reexited", "removed")
SERIAL = 10_000  # archive number = village code × SERIAL + serial


def village_range(code: str) -> tuple[int, int]:
    """Archive numbers of every household in the region's subtree (inclusive)."""
    lo, hi = codes.subtree_bounds(code)
    return int(lo) * SERIAL, int(hi) * SERIAL + SERIAL - 1


def pack(vector: Sequence[int]) -> bytes:
    data = array("i", vector)
    if sys.byteorder != "little":  # pragma: no cover
        data.byteswap()
    return data.tobytes()


def unpack(blob: bytes) -> array:
    data = array("i")
    data.frombytes(blob)
    if sys.byteorder != "little":  # pragma: no cover
        data.byteswap()
    return data


# --- one household's contribution ----------------------------------------------------------
#
# A village is summed in a small "work" vector of flows (who entered, exited, returned or was
# removed each year; the main cause's net change; effect outcomes), about 19 increments a
# household, then turned into the stored vector by running sums (``finish``): stocks such as
# households in poverty at the end of each year are running sums of the flows.

OUTCOMES = ("never", "w1", "w2", "w3", "later")


@dataclass
class WorkLayout:
    index: dict[tuple[object, ...], int]
    size: int


def _work_layout() -> WorkLayout:
    index: dict[tuple[object, ...], int] = {}

    def add(*key: object) -> None:
        index[key] = len(index)

    for y in vocab.YEARS:
        for name in ("ent", "ent_p", "exit", "exit_p", "ret", "ret_p", "rem", "rem_p"):
            add(name, y)
    for c in range(1, len(vocab.CAUSES) + 1):
        for y in vocab.YEARS:
            add("net_c", c, y)
        add("reg_c", c)
    for s in range(len(vocab.SIZE_BANDS)):
        add("reg_s", s)
        add("reg_sp", s)
        add("poor_s", s)
    for m in range(len(vocab.MEASURES)):
        add("helped", m)
    add("ret_all")
    for g in EFFECT_GROUPS:
        for outcome in OUTCOMES:
            add("out", outcome, *g)
        add("rb", *g)
    return WorkLayout(index, len(index))


WORK = _work_layout()
_PART_A: dict[tuple[int, ...], tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {}
_PART_B: dict[tuple[object, ...], tuple[int, ...]] = {}


def _part_a(cause: int, band: int, entered: int, exited: int, returned: int, reexited: int,
            removed: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Work cells the household adds 1 to, those it adds its size to, and the cells it takes
    -1 from; and, for ``_part_b``, its effect outcome, as a key."""
    w = WORK.index
    plus: list[int] = [w["ent", entered], w["net_c", cause, entered]]
    people: list[int] = [w["ent_p", entered]]
    minus: list[int] = []
    for year in (exited, reexited):
        if year:
            plus.append(w["exit", year])
            people.append(w["exit_p", year])
            minus.append(w["net_c", cause, year])
    if returned:
        plus += [w["ret", returned], w["net_c", cause, returned], w["ret_all",]]
        people.append(w["ret_p", returned])
    if removed:
        plus.append(w["rem", removed])
        people.append(w["rem_p", removed])
        minus.append(w["net_c", cause, removed])
    events = (entered, exited, returned, reexited, removed)
    final = vocab.status_in(vocab.LAST_YEAR, *events)
    on_register = final is not None and final != vocab.REMOVED
    if on_register:
        plus += [w["reg_c", cause], w["reg_s", band]]
        people.append(w["reg_sp", band])
        if final in vocab.IN_POVERTY:
            plus.append(w["poor_s", band])
    eligible = not removed and entered <= EFFECT_LAST_COHORT
    outcome = "never"
    if exited:
        took = exited - entered
        outcome = "w1" if took <= 1 else "w2" if took == 2 else "w3" if took == 3 else "later"
    if eligible:
        for g in (("all", 0), ("cause", cause)):
            plus.append(w["out", outcome, *g])
            if returned:
                plus.append(w["rb", *g])
    return tuple(plus), tuple(people), tuple(minus), (on_register, eligible, outcome,
                                                    bool(returned))  # type: ignore[return-value]


def _part_b(measures: int, outcome: tuple[object, ...]) -> tuple[int, ...]:
    """Work cells for the measures a household received."""
    w = WORK.index
    on_register, eligible, bucket, returned = outcome
    cells: list[int] = []
    for m in range(len(vocab.MEASURES)):
        if measures >> m & 1:
            if on_register:
                cells.append(w["helped", m])
            if eligible:
                cells.append(w["out", bucket, "measure", m])
                if returned:
                    cells.append(w["rb", "measure", m])
    return tuple(cells)


def accumulate(work: list[int], cause: int, size: int, measures: int, entered: int,
               exited: int, returned: int, reexited: int, removed: int) -> None:
    """Add one household to a village's work vector."""
    key = (cause, min(size, 5) - 1, entered, exited, returned, reexited, removed)
    a = _PART_A.get(key)
    if a is None:
        a = _part_a(*key)
        _PART_A[key] = a
    plus, people, minus, outcome = a  # type: ignore[misc]
    for i in plus:
        work[i] += 1
    for i in people:
        work[i] += size
    for i in minus:
        work[i] -= 1
    if measures:
        b_key = (measures, outcome)
        b = _PART_B.get(b_key)
        if b is None:
            b = _part_b(measures, outcome)
            if len(_PART_B) < 100_000:
                _PART_B[b_key] = b
        for i in b:
            work[i] += 1


_FINISH: list[object] = []


def _finish_plan() -> tuple[object, ...]:
    lay = layout()
    w = WORK.index
    years = []
    for y in vocab.YEARS:
        years.append(tuple(w[name, y] for name in ("ent", "ent_p", "exit", "exit_p", "ret",
                                                      "ret_p", "rem", "rem_p"))
                     + (lay("reg", y), lay("reg_p", y), lay("poor", y), lay("poor_p", y),
                        lay("ent", y), lay.get("exit", y), lay.get("ret", y), lay("rem", y)))
    causes = [([w["net_c", c, y] for y in vocab.YEARS],
               [lay("poor_cy", c, y) for y in vocab.YEARS]) for c in range(1, len(vocab.CAUSES) + 1)]
    copies = [(w[key], lay(*key)) for key in w if key[0] in ("reg_c", "reg_s", "reg_sp",
                                                              "poor_s", "helped", "ret_all")]
    effects = [([w["out", o, *g] for o in OUTCOMES], w["rb", *g],
                [lay("eff", m, *g) for m in ("base", "x1", "x2", "x3", "xever", "rb")])
               for g in EFFECT_GROUPS]
    return tuple(years), causes, copies, effects


def finish(work: Sequence[int]) -> array:
    """The stored vector of a village from its work vector."""
    if not _FINISH:
        _FINISH.append(_finish_plan())
    years, causes, copies, effects = _FINISH[0]  # type: ignore[misc]
    vector = array("i", bytes(4 * layout().size))
    reg = reg_p = poor = poor_p = 0
    for (w_ent, w_ent_p, w_exit, w_exit_p, w_ret, w_ret_p, w_rem, w_rem_p,
         v_reg, v_reg_p, v_poor, v_poor_p, v_ent, v_exit, v_ret, v_rem) in years:
        ent, exits, ret, rem = work[w_ent], work[w_exit], work[w_ret], work[w_rem]
        reg += ent - rem
        reg_p += work[w_ent_p] - work[w_rem_p]
        poor += ent + ret - exits - rem
        poor_p += work[w_ent_p] + work[w_ret_p] - work[w_exit_p] - work[w_rem_p]
        vector[v_reg], vector[v_reg_p], vector[v_poor], vector[v_poor_p] = reg, reg_p, poor, poor_p
        vector[v_ent], vector[v_rem] = ent, rem
        if v_exit is not None:
            vector[v_exit] = exits
        if v_ret is not None:
            vector[v_ret] = ret
    for nets, cells in causes:
        total = 0
        for w_i, v_i in zip(nets, cells, strict=True):
            total += work[w_i]
            vector[v_i] = total
    for w_i, v_i in copies:
        vector[v_i] = work[w_i]
    for outcomes, w_rb, (base, x1, x2, x3, xever, rb) in effects:
        never, w1, w2, w3, later = (work[i] for i in outcomes)
        vector[base] = never + w1 + w2 + w3 + later
        vector[x1], vector[x2], vector[x3] = w1, w1 + w2, w1 + w2 + w3
        vector[xever] = w1 + w2 + w3 + later
        vector[rb] = work[w_rb]
    fill_derived(vector)
    return vector


_DERIVED: list[tuple[int, int, int]] = []


def fill_derived(vector: array | list[int]) -> None:
    """Hidden cells that are differences of others (``exs`` = ``reg`` − ``poor`` ...)."""
    if not _DERIVED:
        lay = layout()
        for i, spec in enumerate(lay.cells):
            if spec.derived:
                (plus, a), (minus, b) = spec.derived
                assert plus == 1 and minus == -1
                _DERIVED.append((i, lay.index[a], lay.index[b]))
    for i, a, b in _DERIVED:
        vector[i] = vector[a] - vector[b]


SCAN_SQL = (f"SELECT {', '.join(HOUSEHOLD_COLUMNS)} FROM household "
            "WHERE id BETWEEN ? AND ? ORDER BY id")
#: Below this many households one process scans; above, two (forked) share the key range.
PARALLEL_FROM = 200_000


def scan(lo: int, hi: int) -> dict[str, array]:
    """Village vectors of the households with archive numbers in [lo, hi]."""
    path = _sqlite_path()
    if path is not None and os.cpu_count() and (os.cpu_count() or 1) > 1:
        middle = _middle(lo, hi)
        if middle is not None:
            return _scan_in_two(path, lo, middle, hi)
    return {code: finish(work) for code, work in
            _accumulate_rows(bulk.stream(SCAN_SQL, (lo, hi))).items()}


def _sqlite_path() -> str | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database


def _middle(lo: int, hi: int) -> int | None:
    """A village boundary halfway through the households in [lo, hi], or None when there are
    too few to be worth two processes."""
    count = db.session.scalar(select(func.count()).where(Household.id.between(lo, hi))) or 0
    if count < PARALLEL_FROM:
        return None
    middle = db.session.scalar(select(Household.id).where(Household.id.between(lo, hi))
                               .order_by(Household.id).offset(count // 2).limit(1))
    return None if middle is None else middle // SERIAL * SERIAL


def _scan_part(path: str, lo: int, hi: int) -> dict[str, bytes]:
    """In a forked process: its own read-only connection, packed vectors back."""
    import sqlite3

    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = connection.execute(SCAN_SQL, (lo, hi))

        def rows() -> Iterator[tuple[Any, ...]]:
            while batch := cursor.fetchmany(20_000):
                yield from batch

        return {code: pack(finish(work)) for code, work in _accumulate_rows(rows()).items()}
    finally:
        connection.close()


def _scan_in_two(path: str, lo: int, middle: int, hi: int) -> dict[str, array]:
    import multiprocessing

    # What the register holds now must be what the other processes read: commit first.
    db.session.commit()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        parts = pool.starmap(_scan_part, [(path, lo, middle - 1), (path, middle, hi)])
    return {code: unpack(blob) for part in parts for code, blob in part.items()}


def _accumulate_rows(rows: Iterable[tuple[Any, ...]]) -> dict[str, list[int]]:
    works: dict[str, list[int]] = {}
    current = -1
    work: list[int] = []
    get_a, get_b = _PART_A.get, _PART_B.get
    for hid, cause, size, measures, entered, exited, returned, reexited, removed in rows:
        village = hid // SERIAL
        if village != current:
            current = village
            work = works.setdefault(f"{village:012d}", [0] * WORK.size)
        key = (cause, (size if size < 5 else 5) - 1, entered, exited, returned, reexited,
               removed)
        a = get_a(key)
        if a is None:
            a = _part_a(*key)
            _PART_A[key] = a
        plus, people, minus, outcome = a  # type: ignore[misc]
        for i in plus:
            work[i] += 1
        for i in people:
            work[i] += size
        for i in minus:
            work[i] -= 1
        if measures:
            b = get_b((measures, outcome))
            if b is None:
                b = _part_b(measures, outcome)
                if len(_PART_B) < 100_000:
                    _PART_B[(measures, outcome)] = b
            for i in b:
                work[i] += 1
    return works


# --- the tree ----------------------------------------------------------------------------------


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


# --- building ------------------------------------------------------------------------------------


def min_cell() -> int:
    return int(current_app.config.get("STATS_MIN_CELL", 10))


def _write(rows: list[tuple[str, int, bytes, bytes, int]], replace: Iterable[str] | None) -> None:
    if replace is None:
        db.session.execute(delete(Rollup))
    else:
        codes_ = list(replace)
        for i in range(0, len(codes_), 500):
            db.session.execute(delete(Rollup).where(Rollup.region_code.in_(codes_[i:i + 500])))
    bulk.insert_rows("stats_rollup", ("region_code", "level", "cells", "status", "build_id"), rows)


def rebuild_all() -> Build:
    """Recompute every rollup from the register, check the totals, commit."""
    started = time.perf_counter()
    build = Build(kind="full")
    db.session.add(build)
    db.session.flush()
    tree = load_tree()
    lo, hi = village_range(tree.root)
    mark = time.perf_counter()
    vectors: dict[str, array] = dict(scan(lo, hi))
    TIMINGS["scan"], mark = time.perf_counter() - mark, time.perf_counter()
    size = layout().size
    for code, lvl in tree.level.items():
        if lvl == 5 and code not in vectors:
            vectors[code] = array("i", bytes(4 * size))
    sum_up(tree, vectors)
    TIMINGS["sum"], mark = time.perf_counter() - mark, time.perf_counter()
    status = protect(tree, vectors, min_cell())
    TIMINGS["disclosure"], mark = time.perf_counter() - mark, time.perf_counter()
    rows = [(code, tree.level[code], pack(vectors[code]), bytes(status[code]), build.id)
            for code in tree.level if code in status]
    _write(rows, None)
    TIMINGS["write"], mark = time.perf_counter() - mark, time.perf_counter()
    _finish(build, vectors.get(tree.root), len(rows), started)
    TIMINGS["check"] = time.perf_counter() - mark
    return build


#: Seconds spent in each phase of the last full build (for bench/bench_stats.py).
TIMINGS: dict[str, float] = {}


def rebuild_villages(village_codes: Iterable[str]) -> Build:
    """After an import or a change: read again only these villages, sum their ancestors, and
    decide disclosure again; only rows that changed are written."""
    started = time.perf_counter()
    build = Build(kind="incremental")
    db.session.add(build)
    db.session.flush()
    tree = load_tree()
    wanted = sorted({c for c in village_codes if tree.level.get(c) == 5})
    stored = {code: (unpack(cells), bytes(st)) for code, cells, st in db.session.execute(
        select(Rollup.region_code, Rollup.cells, Rollup.status))}
    if not stored or len(stored) < len(tree.level):
        db.session.rollback()
        return rebuild_all()
    vectors = {code: cells for code, (cells, _) in stored.items()}
    size = layout().size
    for code in wanted:
        lo, hi = village_range(code)
        vectors[code] = scan(lo, hi).get(code, array("i", bytes(4 * size)))
    sum_up(tree, vectors, wanted)
    status = protect(tree, vectors, min_cell())
    rows = []
    for code in tree.level:
        old = stored.get(code)
        new_cells = pack(vectors[code])
        if old is None or pack(old[0]) != new_cells or old[1] != bytes(status[code]):
            rows.append((code, tree.level[code], new_cells, bytes(status[code]), build.id))
    _write(rows, [r[0] for r in rows])
    _finish(build, vectors.get(tree.root), len(rows), started)
    return build


def register_totals() -> tuple[int, int, int, int]:
    """Households and people on the register now, households in poverty now, and how many of
    them are synthetic, counted from the register itself (one pass)."""
    on_register = Household.removed == 0
    in_poverty = on_register & ((Household.exited == 0)
                                | ((Household.returned > 0) & (Household.reexited == 0)))
    row = db.session.execute(select(
        func.count(Household.id).filter(on_register),
        func.coalesce(func.sum(Household.size).filter(on_register), 0),
        func.count(Household.id).filter(in_poverty),
        func.count(Household.id).filter(on_register & Household.synthetic.is_(True)),
    )).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def _finish(build: Build, root: Sequence[int] | None, regions: int, started: float) -> None:
    lay = layout()
    last = vocab.LAST_YEAR
    households, people, poor, synthetic = register_totals()
    got = (0, 0, 0) if root is None else (root[lay("reg", last)], root[lay("reg_p", last)],
                                         root[lay("poor", last)])
    build.ok = got == (households, people, poor)
    build.households, build.people, build.regions = households, people, regions
    build.synthetic = synthetic
    build.detail = ("汇总合计与登记数一致" if build.ok else
                    f"不一致：汇总（户、人、贫困户）{got}，登记 {(households, people, poor)}")
    build.seconds = round(time.perf_counter() - started, 3)
    if not build.ok:
        log.error("stats rollup check failed: %s", build.detail)
    db.session.commit()


def latest_build() -> Build | None:
    return db.session.scalar(select(Build).order_by(Build.id.desc()).limit(1))
