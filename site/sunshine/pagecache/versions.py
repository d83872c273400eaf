"""Data versions of the cached pages, per feature and region subtree, kept in the database.

A write calls ``changed(feature, region_code)`` in its own transaction. That bumps, for the
feature, the ``below`` counter of the region and of each of its ancestors (something at or
under them changed) and the ``own`` counter of the region itself. A page about region R
depends on R's ``below`` and on its ancestors' ``own``: an edit in one county leaves its
sibling counties' pages alone and refreshes the province's, which adds them up. Every worker
reads the same rows, so a write shows in all of them at once.

Region codes follow the national layout (2 digits province, 2 city, 2 county, 3 township,
3 village); ``""`` is the root, above every region, for pages and writes without one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Integer, String, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from sunshine.extensions import db

LEVELS = (2, 4, 6, 9, 12)
ROOT = ""

Scope = tuple[str, str | None]  # (feature, region code or None for all regions)


class PageVersion(db.Model):  # type: ignore[name-defined]
    __tablename__ = "page_version"

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


#: One statement for every page: the rows of some features and region prefixes (a few more
#: than wanted, picked below); built once, so a hit does not build or compile a query.
_ROWS = (select(PageVersion.feature, PageVersion.region, PageVersion.own, PageVersion.below)
         .where(PageVersion.feature.in_(bindparam("features", expanding=True)),
                PageVersion.region.in_(bindparam("regions", expanding=True))))


def signature(scopes: Sequence[Scope]) -> tuple[int, ...]:
    """The versions a page depends on: each scope's region's ``below`` and its ancestors'
    ``own``, read with one query on a connection of its own (a kept page's only query)."""
    wanted: list[tuple[str, str, str]] = []
    for feature, code in scopes:
        wanted.append((feature, prefix(code), "below"))
        wanted.extend((feature, above, "own") for above in ancestors(code))
    if not wanted:
        return ()
    features = sorted({f for f, _, _ in wanted})
    regions = sorted({r for _, r, _ in wanted})
    found = driver_rows(_driver_sql(len(features), len(regions)), (*features, *regions))
    if found is None:  # pragma: no cover - a driver of another parameter style
        with db.engine.connect() as conn:
            found = [tuple(row) for row in
                     conn.execute(_ROWS, {"features": features, "regions": regions})]
    rows = {(f, r): {"own": own, "below": below} for f, r, own, below in found}
    return tuple(rows.get((f, r), {}).get(column, 0) for f, r, column in wanted)


@functools.cache
def _driver_sql(features: int, regions: int) -> str:
    """``_ROWS`` as plain SQL for so many features and regions (see ``driver_rows``): a kept
    page's one query then costs the database's time (14 µs on SQLite), without a statement
    compiled and a Connection built for it (64 µs)."""
    return ("SELECT feature, region, own, below FROM page_version"
            f" WHERE feature IN ({', '.join('?' * features)})"
            f" AND region IN ({', '.join('?' * regions)})")


def driver_rows(sql: str, params: Sequence[object]) -> list[tuple[Any, ...]] | None:
    """The rows of one statement written as plain SQL with a ``?`` for each parameter, run on
    a pooled connection's own driver cursor (rolled back when it goes back to the pool): for
    the few queries the front makes per request, where building a Connection and compiling a
    statement cost several times the database's work. None when the driver takes another
    parameter style: the caller then runs its SQLAlchemy statement."""
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(db.engine.dialect.paramstyle)
    if mark is None:
        return None
    driver = db.engine.raw_connection()
    try:
        cursor = driver.cursor()
        cursor.execute(sql if mark == "?" else sql.replace("?", mark), tuple(params))
        found = [tuple(row) for row in cursor.fetchall()]
        cursor.close()
    finally:
        driver.close()
    return found
