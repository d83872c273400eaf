"""Rollups: every region's counts, built villages first and summed level by level.

A village's vector comes from one pass over its households (a key range of the register);
towns, counties, cities and the province are the sums of their children. Then disclosure
control decides, top down, what may be published, and each region's counts and decisions are
written as one row. After an import or a change only the villages concerned are read again
(``rebuild_villages``); ``rebuild_all`` recomputes everything. Each build checks that the
province's totals equal the register's.

The parts: ``vectors`` (one household's contribution, a village's vector), ``scanrows`` (the
register as two integers a household, and all villages' vectors from them in numpy), ``scan``
(reading the register), ``tree`` (sums and disclosure control over the region tree); this
module builds and writes.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import Engine, Select, delete, func, select, text

from sunshine import pagecache
from sunshine.extensions import db
from sunshine.stats import bulk, vocab
from sunshine.stats.layout import layout
from sunshine.stats.models import Build, Household, Rollup
from sunshine.stats.scan import scan, scan_committed
from sunshine.stats.scanrows import packed_vectors, village_works_of
from sunshine.stats.tree import Tree, load_tree, protect, sum_up
from sunshine.stats.vectors import pack, unpack, village_range

log = logging.getLogger(__name__)





# --- building ------------------------------------------------------------------------------------


def min_cell() -> int:
    return int(current_app.config.get("STATS_MIN_CELL", 10))


def _write(rows: list[tuple[str, int, bytes, bytes, int]], replace: Iterable[str] | None) -> None:
    _fast_compression()
    if replace is None:
        db.session.execute(delete(Rollup))
    else:
        codes_ = list(replace)
        for i in range(0, len(codes_), 500):
            db.session.execute(delete(Rollup).where(Rollup.region_code.in_(codes_[i:i + 500])))
    bulk.insert_rows_binary("stats_rollup", ("region_code", "level", "cells", "status", "build_id"),
                            ("text", "int2", "bytea", "bytea", "int4"), rows)


def _fast_compression() -> None:
    """On PostgreSQL, rollup rows (~2.1 KB) are over the size at which a row's large values
    are compressed; its default compression (pglz) took most of the time of writing the
    rollups, and of reading a page's rows back. LZ4, where the server has it, costs a
    fraction of both (for this transaction only; no change to the table)."""
    if bulk.dialect() != "postgresql":
        return
    has_lz4 = db.session.execute(text(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
        "AND 'lz4' = ANY(enumvals)")).first()
    if has_lz4:
        db.session.execute(text("SET LOCAL default_toast_compression = lz4"))


def rebuild_all(register: Any = None) -> Build:
    """Recompute every rollup from the register, check the totals, commit.

    ``register``: what ``SCAN_SQL`` gives for every household of the (committed) register
    (an n × 2 array, ``scanrows.scan_rows``), when the caller has it in hand (an import that
    filled an empty register); it is then not read back. The totals are still counted from
    the register itself, so a wrong ``register`` fails the build's check.
    """
    started = time.perf_counter()
    build = Build(kind="full")
    db.session.add(build)
    db.session.flush()
    tree = load_tree()
    lo, hi = village_range(tree.root)
    mark = time.perf_counter()
    if register is None:
        scanned, committed = scan_committed(lo, hi)
    else:
        scanned, committed = {code: unpack(blob) for code, blob in
                              packed_vectors(*village_works_of(register)).items()}, True
    vectors: dict[str, array] = dict(scanned)
    TIMINGS["scan"], mark = time.perf_counter() - mark, time.perf_counter()
    size = layout().size
    for code, lvl in tree.level.items():
        if lvl == 5 and code not in vectors:
            vectors[code] = array("i", bytes(4 * size))
    _sum_all(tree, vectors)
    TIMINGS["sum"], mark = time.perf_counter() - mark, time.perf_counter()
    # A large register's own totals, for the check, are counted meanwhile on another
    # connection (SQLite works without holding Python's lock), which sees what the scan
    # committed. Not during the scan: its processes fork, and a fork while a thread is inside
    # SQLite could copy a lock held.
    totals = _Totals(db.engine) if committed else None
    status = protect(tree, vectors, min_cell())
    TIMINGS["disclosure"], mark = time.perf_counter() - mark, time.perf_counter()
    rows = [(code, tree.level[code], pack(vectors[code]), bytes(status[code]), build.id)
            for code in tree.level if code in status]
    _write(rows, None)
    pagecache.changed("stats", None)
    TIMINGS["write"], mark = time.perf_counter() - mark, time.perf_counter()
    _finish(build, vectors.get(tree.root), len(rows), started,
            totals.result() if totals else None)
    TIMINGS["check"], mark = time.perf_counter() - mark, time.perf_counter()
    # Every row was replaced. On PostgreSQL the old versions stayed until autovacuum came by:
    # the table grew by its own size each build, and the first reads of region pages stepped
    # over them (a fifth slower).
    bulk.maintain("VACUUM stats_rollup")
    TIMINGS["vacuum"] = time.perf_counter() - mark
    return build


def _sum_all(tree: Tree, vectors: dict[str, array]) -> None:
    """``sum_up`` of the whole tree, a level at a time in numpy (the same sums, in less than
    half the time): the children of a level's regions stacked in order, summed by
    ``add.reduceat``."""
    import numpy as np

    size = layout().size
    for lvl in (4, 3, 2, 1):
        parents = [c for c, v in tree.level.items() if v == lvl]
        kids = [[kid for kid in tree.children.get(code, []) if kid in vectors]
                for code in parents]
        flat = [kid for group in kids for kid in group]
        if not flat:
            for code in parents:
                vectors[code] = array("i", bytes(4 * size))
            continue
        matrix = np.frombuffer(b"".join(vectors[kid].tobytes() for kid in flat),
                               dtype=np.int32).reshape(len(flat), size)
        filled = [group for group in kids if group]
        starts = np.cumsum([0] + [len(group) for group in filled[:-1]])
        sums = np.add.reduceat(matrix, starts, axis=0, dtype=np.int64)
        if sums.max() > 2**31 - 1 or sums.min() < -2**31:
            raise OverflowError("a rollup count is beyond 32 bits")
        rows = iter(sums.astype(np.int32))
        for code, group in zip(parents, kids, strict=True):
            vectors[code] = (array("i", next(rows).tobytes()) if group
                             else array("i", bytes(4 * size)))


#: Seconds spent in each phase of the last full build (for bench/bench_stats.py).
TIMINGS: dict[str, float] = {}


def rebuild_villages(village_codes: Iterable[str], register: Any = None) -> Build:
    """After an import or a change: read again only these villages, sum their ancestors, and
    decide disclosure again; only rows that changed are written. Before the first build this
    is ``rebuild_all(register)``."""
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
        return rebuild_all(register)
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
    if rows:
        pagecache.changed("stats", *(row[0] for row in rows))
    _finish(build, vectors.get(tree.root), len(rows), started)
    return build


def _totals_query() -> Select[Any]:
    on_register = Household.removed == 0
    in_poverty = on_register & ((Household.exited == 0)
                                | ((Household.returned > 0) & (Household.reexited == 0)))
    return select(
        func.count(Household.id).filter(on_register),
        func.coalesce(func.sum(Household.size).filter(on_register), 0),
        func.count(Household.id).filter(in_poverty),
        func.count(Household.id).filter(on_register & Household.synthetic.is_(True)))


def register_totals() -> tuple[int, int, int, int]:
    """Households and people on the register now, households in poverty now, and how many of
    them are synthetic, counted from the register itself (one pass)."""
    row = db.session.execute(_totals_query()).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


class _Totals:
    """``register_totals`` counted in a thread, on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self.value: tuple[int, int, int, int] | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._count, args=(engine,), daemon=True)
        self.thread.start()

    def _count(self, engine: Engine) -> None:
        try:
            with engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    # One backend, not a parallel scan: it runs beside disclosure control,
                    # which needs the cores more than this count needs to be quick.
                    connection.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
                row = connection.execute(_totals_query()).one()
            self.value = (int(row[0]), int(row[1]), int(row[2]), int(row[3]))
        except BaseException as exc:  # noqa: BLE001  (raised again in the builder's thread)
            self.error = exc

    def result(self) -> tuple[int, int, int, int]:
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


def _finish(build: Build, root: Sequence[int] | None, regions: int, started: float,
            totals: tuple[int, int, int, int] | None = None) -> None:
    lay = layout()
    last = vocab.LAST_YEAR
    households, people, poor, synthetic = totals or register_totals()
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
