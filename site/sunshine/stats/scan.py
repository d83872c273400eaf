"""The scan of the register: every village's vector from one pass over its households
(a key range), in two processes on a large SQLite register."""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from sunshine.extensions import db
from sunshine.stats import bulk
from sunshine.stats.models import Household
from sunshine.stats.vectors import SCAN_SQL, SERIAL, unpack, village_vectors


#: Below this many households one process scans; above, two (forked) share the key range.
PARALLEL_FROM = 200_000


def scan(lo: int, hi: int) -> dict[str, array]:
    """Village vectors of the households with archive numbers in [lo, hi]."""
    return scan_committed(lo, hi)[0]


def scan_committed(lo: int, hi: int) -> tuple[dict[str, array], bool]:
    """``scan``, and whether it committed the session first (a large register on SQLite is
    read by other processes, which see only what is committed)."""
    path = _sqlite_path()
    if path is not None and os.cpu_count() and (os.cpu_count() or 1) > 1:
        middle = _middle(lo, hi)
        if middle is not None:
            return _scan_in_two(path, lo, middle, hi), True
    return {code: unpack(blob) for code, blob in
            village_vectors(bulk.stream(SCAN_SQL, (lo, hi))).items()}, False


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

        return village_vectors(rows())
    finally:
        connection.close()


def _scan_in_two(path: str, lo: int, middle: int, hi: int) -> dict[str, array]:
    import multiprocessing

    # What the register holds now must be what the other processes read: commit first.
    db.session.commit()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        parts = pool.starmap(_scan_part, [(path, lo, middle - 1), (path, middle, hi)])
    return {code: unpack(blob) for part in parts for code, blob in part.items()}
