"""Data versions of the cached pages, per feature and region subtree, kept in the database.

A write calls ``changed(feature, region_code)`` in its own transaction. That bumps, for the
feature, the ``below`` counter of the region and of each of its ancestors (something at or
under them changed) and the ``own`` counter of the region itself. A page about region R
depends on R's ``below`` and on its ancestors' ``own``: an edit in one county leaves its
sibling counties' pages alone and refreshes the province's, which adds them up. Every worker
reads the same rows, so a write shows in all of them at once. The roots' ``below``, summed over
the features, counts every change: the site's clock, which spares most requests the reading
of their page's several counters (see ``signature``).

Region codes follow the national layout (2 digits province, 2 city, 2 county, 3 township,
3 village); ``""`` is the root, above every region, for pages and writes without one.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from flask import Flask, current_app
from sqlalchemy import Index, Integer, String, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from sunshine.extensions import db

LEVELS = (2, 4, 6, 9, 12)
ROOT = ""

Scope = tuple[str, str | None]  # (feature, region code or None for all regions)


class PageVersion(db.Model):  # type: ignore[name-defined]
    __tablename__ = "page_version"

    __table_args__ = (Index("ix_page_version_clock", "region", "below"),)

    feature: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(12), primary_key=True)
    own: Mapped[int] = mapped_column(Integer, default=0)
    below: Mapped[int] = mapped_column(Integer, default=0)


def prefix(code: str | None) -> str:
    """The significant part of a region code: ``450102000000`` → ``450102``."""
    if not code:
        return ROOT
    for length in LEVELS:
        if not code[length:].strip("0"):
            return code[:length]
    return code


def ancestors(code: str | None) -> list[str]:
    """The prefixes above a region, root first, without the region itself."""
    own = prefix(code)
    return [ROOT, *(own[:n] for n in LEVELS if n < len(own))] if own else []


def changed(feature: str, *codes: str | None) -> None:
    """Pages of ``feature`` about these regions (or above them) are out of date; runs in the
    caller's transaction, so the pages change exactly when the write is committed."""
    own = {prefix(code) for code in codes} or {ROOT}
    below = set(own).union(*(ancestors(code) for code in own))
    _bump(feature, own, PageVersion.own)
    _bump(feature, below, PageVersion.below)


def _bump(feature: str, regions: Iterable[str], column: object) -> None:
    regions = sorted(regions)  # one order for every writer: no deadlocks between them
    name = "own" if column is PageVersion.own else "below"
    table = PageVersion.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = insert(table).values([{"feature": feature, "region": region, "own": 0,
                                           "below": 0, name: 1} for region in regions])
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["feature", "region"],
            set_={name: getattr(table.c, name) + 1}))
        return
    for region in regions:  # pragma: no cover - other databases
        result = db.session.execute(update(table).where(table.c.feature == feature,
                                                        table.c.region == region)
                                    .values({name: getattr(table.c, name) + 1}))
        if not result.rowcount:  # type: ignore[attr-defined]
            db.session.execute(table.insert().values(feature=feature, region=region,
                                                     own=0, below=0, **{name: 1}))


#: The same rows through SQLAlchemy, for a driver whose parameter style ``driver_rows`` does
#: not write.
_ROWS = (select(PageVersion.feature, PageVersion.region, PageVersion.own, PageVersion.below)
         .where(PageVersion.feature.in_(bindparam("features", expanding=True)),
                PageVersion.region.in_(bindparam("regions", expanding=True))))


class Reads(NamedTuple):
    """The counters a page depends on, ``(feature, region, column)``, and the one statement
    that reads them."""

    wanted: tuple[tuple[str, str, str], ...]
    sql: str
    params: tuple[str, ...]


@functools.lru_cache(maxsize=4096)
def reads(scopes: tuple[Scope, ...]) -> Reads:
    """Each scope's region's ``below`` and its ancestors' ``own``, as one row of primary-key
    look-ups (``feature IN (...) AND region IN (...)`` costs several times more on SQLite
    once there are two features and a village's five ancestors); worked out once per set of
    scopes, not per request."""
    wanted: list[tuple[str, str, str]] = []
    for feature, code in scopes:
        wanted.append((feature, prefix(code), "below"))
        wanted.extend((feature, above, "own") for above in ancestors(code))
    sql = "SELECT " + ", ".join(
        f"(SELECT {column} FROM page_version WHERE feature = ? AND region = ?)"
        for _, _, column in wanted)
    return Reads(tuple(wanted), sql, tuple(value for feature, region, _ in wanted
                                           for value in (feature, region)))


#: The site's clock: the root's ``below`` of every feature, summed (``ix_page_version_clock``
#: holds the root's rows together); every change of any page's data moves it.
CLOCK_SQL = "SELECT sum(below) FROM page_version WHERE region = ''"


def signature(scopes: Sequence[Scope]) -> tuple[int, ...]:
    """The versions a page depends on (see ``reads``), 0 for a counter never bumped.

    A request reads the site's clock, one query on a connection of its own that costs the
    same whatever the page; the page's own counters are read (a second query) only when the
    clock moved since this worker last read them. Read after the clock, they are at least as
    new as it: a write in between only makes the next request read them again."""
    key = tuple(scopes)
    found = reads(key)
    if not found.wanted:
        return ()
    clock = driver_rows(CLOCK_SQL, ())
    if clock is None:  # pragma: no cover - a driver of another parameter style
        return _signature_by_orm(found.wanted)
    now = (clock[0][0] or 0,)
    seen = _seen(current_app)
    kept = seen.get(key)
    if kept is not None and kept[0] == now:
        return kept[1]
    rows = driver_rows(found.sql, found.params)
    counters = (tuple(value or 0 for value in rows[0]) if rows
                else _signature_by_orm(found.wanted))
    seen.put(key, (now, counters))
    return counters


ReadAt = tuple[tuple[int, ...], tuple[int, ...]]  # (clock, counters read after it)


class Seen:
    """The counters of pages last read in this worker, by the clock they were read at; at
    most ``size`` sets of scopes, the least recently read out first."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.read: OrderedDict[tuple[Scope, ...], ReadAt] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Scope, ...]) -> ReadAt | None:
        with self.lock:
            return self.read.get(key)

    def put(self, key: tuple[Scope, ...], value: ReadAt) -> None:
        with self.lock:
            self.read[key] = value
            self.read.move_to_end(key)
            while len(self.read) > self.size:
                self.read.popitem(last=False)


def _seen(app: Flask) -> Seen:
    seen = app.extensions.get("page_versions_seen")
    if seen is None:
        seen = app.extensions.setdefault("page_versions_seen", Seen())
    return seen


def _signature_by_orm(wanted: Sequence[tuple[str, str, str]]) -> tuple[int, ...]:
    features = sorted({f for f, _, _ in wanted})
    regions = sorted({r for _, r, _ in wanted})
    with db.engine.connect() as conn:
        found = conn.execute(_ROWS, {"features": features, "regions": regions})
        rows = {(f, r): {"own": own, "below": below} for f, r, own, below in found}
    return tuple(rows.get((f, r), {}).get(column, 0) for f, r, column in wanted)


_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def driver_rows(sql: str, params: Sequence[object]) -> list[tuple[Any, ...]] | None:
    """The rows of one statement written as plain SQL with a ``?`` for each parameter, run on
    a pooled connection's own driver cursor (rolled back when it goes back to the pool): for
    the few queries the front makes per request, where building a Connection and compiling a
    statement cost several times the database's work. None when the driver takes another
    parameter style: the caller then runs its SQLAlchemy statement."""
    engine = db.engine
    mark = _MARKS.get(engine.dialect.paramstyle)
    if mark is None:
        return None
    driver = engine.raw_connection()
    try:
        cursor = driver.cursor()
        cursor.execute(sql if mark == "?" else sql.replace("?", mark), tuple(params))
        found = [tuple(row) for row in cursor.fetchall()]
        cursor.close()
    finally:
        driver.close()
    return found


def plain_rows(sql: str, params: Sequence[object]) -> tuple[tuple[Any, ...], ...]:
    """``driver_rows``, or the same statement through SQLAlchemy for another driver: the
    cheap read of what a kept page shows when that is its version (a secret link's record)."""
    found = driver_rows(sql, params)
    if found is None:  # pragma: no cover - a driver of another parameter style
        parts = sql.split("?")
        named = parts[0] + "".join(f":p{n}{part}" for n, part in enumerate(parts[1:]))
        with db.engine.connect() as conn:
            found = [tuple(row) for row in conn.execute(
                text(named), {f"p{n}": value for n, value in enumerate(params)})]
    return tuple(found)
