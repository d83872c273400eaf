"""The scan of the register: every village's vector from one pass over its households
(a key range), in two processes on a large register (SQLite: each reads the file; PostgreSQL:
each has its own connection and reads its half as one packed binary value)."""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np
from sqlalchemy import func, select, text

from sunshine.extensions import db
from sunshine.stats import bulk
from sunshine.stats.models import Household
from sunshine.stats.scanrows import (
    SCAN_SQL,
    finish_all,
    packed_vectors,
    village_vectors,
    village_works_of,
)
from sunshine.stats.vectors import SERIAL, WORK, unpack

#: Below this many households one process scans; above, two (forked) share the key range.
PARALLEL_FROM = 200_000


def scan(lo: int, hi: int) -> dict[str, array]:
    """Village vectors of the households with archive numbers in [lo, hi]."""
    return scan_committed(lo, hi)[0]


def scan_committed(lo: int, hi: int) -> tuple[dict[str, array], bool]:
    """``scan``, and whether it committed the session first (a large register on SQLite is
    read by other processes, which see only what is committed)."""
    path = bulk.sqlite_file()
    if path is not None and (os.cpu_count() or 1) > 1:
        middle = _middle(lo, hi)
        if middle is not None:
            return _scan_in_two(path, lo, middle, hi), True
    if bulk.dialect() == "postgresql":
        return _pg_scan(lo, hi)
    return {code: unpack(blob) for code, blob in
            village_vectors(bulk.stream(SCAN_SQL, (lo, hi))).items()}, False


def _middle(lo: int, hi: int) -> int | None:
    """A village boundary halfway through the households in [lo, hi], or None when there are
    too few to be worth two processes."""
    count = db.session.scalar(select(func.count()).where(Household.id.between(lo, hi))) or 0
    if count < PARALLEL_FROM:
        return None
    middle = db.session.scalar(select(Household.id).where(Household.id.between(lo, hi))
                               .order_by(Household.id).offset(count // 2).limit(1))
    return None if middle is None else middle // SERIAL * SERIAL


def _warm() -> None:
    """Build ``finish_all``'s matrix here, before forking, rather than once in each process."""
    finish_all(np.zeros((0, WORK.size), dtype=np.int64))


def _scan_part(path: str, lo: int, hi: int) -> dict[str, bytes]:
    """In a forked process: its own read-only connection, packed vectors back."""
    import sqlite3

    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = connection.execute(SCAN_SQL, (lo, hi))

        def rows() -> Iterator[tuple[Any, ...]]:
            while batch := cursor.fetchmany(20_000):
                yield from batch

        return village_vectors(rows())
    finally:
        connection.close()


def _scan_in_two(path: str, lo: int, middle: int, hi: int) -> dict[str, array]:
    import multiprocessing

    # What the register holds now must be what the other processes read: commit first.
    db.session.commit()
    _warm()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        parts = pool.starmap(_scan_part, [(path, lo, middle - 1), (path, middle, hi)])
    return {code: unpack(blob) for part in parts for code, blob in part.items()}


# --- PostgreSQL -----------------------------------------------------------------------------------


def _pg_scan(lo: int, hi: int) -> tuple[dict[str, array], bool]:
    """A large register in two forked processes, each with a connection of its own (after a
    commit, so that they see what this session wrote); a small one on the session's own
    connection. Either way the rows come packed in one binary value (``bulk.fetch_int64``)."""
    middle = _pg_middle(lo, hi) if (os.cpu_count() or 1) > 1 else None
    if middle is None:
        data = bulk.fetch_int64(bulk._driver_connection(), SCAN_SQL, (lo, hi), 2)
        return {code: unpack(blob) for code, blob in
                packed_vectors(*village_works_of(data)).items()}, False
    import multiprocessing

    db.session.commit()
    _warm()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        parts = pool.starmap(_pg_scan_part, [(lo, middle - 1), (middle, hi)])
    return {code: unpack(blob) for part in parts for code, blob in part.items()}, True


def _pg_middle(lo: int, hi: int) -> int | None:
    """A village boundary near the middle of the households in [lo, hi], from PostgreSQL's own
    statistics of the key (its row estimate and histogram: no pass over the register), or
    None when there are too few households to be worth two processes. Without statistics
    (a table never analysed), ``_middle`` counts."""
    estimate = db.session.execute(text(
        "SELECT c.reltuples, s.histogram_bounds::text FROM pg_class c LEFT JOIN pg_stats s "
        "ON s.schemaname = current_schema() AND s.tablename = c.relname AND s.attname = 'id' "
        "WHERE c.oid = to_regclass('household')")).first()
    if estimate is None or estimate[0] is None or estimate[0] < 0 or not estimate[1]:
        return _middle(lo, hi)
    bounds = [int(b) for b in estimate[1].strip("{}").split(",")]
    inside = [b for b in bounds if lo <= b <= hi]
    share = len(inside) / max(1, len(bounds) - 1)
    if estimate[0] * share < PARALLEL_FROM or len(inside) < 2:
        return None
    middle = inside[len(inside) // 2] // SERIAL * SERIAL
    return middle if lo < middle <= hi else None


def _pg_scan_part(lo: int, hi: int) -> dict[str, bytes]:
    """In a forked process: a new connection of the engine's (the inherited ones stay the
    parent's), the rows of [lo, hi] in one binary value, packed vectors back."""
    db.engine.dispose(close=False)
    connection = db.engine.raw_connection()
    try:
        data = bulk.fetch_int64(connection.dbapi_connection, SCAN_SQL, (lo, hi), 2)
    finally:
        connection.close()
    return packed_vectors(*village_works_of(data))
