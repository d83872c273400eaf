"""Summary tables kept current by deltas: each change adds to its region and every ancestor;
and the stored city and county columns that let a list filter by region with one index range.

One upsert per region (INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x), in code order,
so that concurrent writers lock summary rows in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region


def region_chain(region_code: str) -> list[str]:
    """The region and every ancestor, province first."""
    return [*codes.ancestors_of(region_code), region_code]


def city_and_county(region_code: str) -> tuple[str | None, str | None]:
    level = codes.level_of(region_code)
    city = region_code[:4].ljust(12, "0") if level >= 2 else None
    county = region_code[:6].ljust(12, "0") if level >= 3 else None
    return city, county


def region_condition(columns: Any, region: Region | None) -> list[ColumnElement[bool]]:
    """An equality on the stored city or county column, or a code range below a county."""
    if region is None or region.level == 1:
        return []
    if region.level == 2:
        return [columns.city_code == region.code]
    if region.level == 3:
        return [columns.county_code == region.code]
    lo, hi = codes.subtree_bounds(region.code)
    return [columns.region_code.between(lo, hi)]


def region_reach(region: Region | None) -> tuple[int, dict[str, Any]]:
    """``region_condition`` for a statement built once: which condition the region needs (0
    none, 2 the city column, 3 the county column, 4 a code range; the key of the statement)
    and the values of its parameters (see ``bound_region_condition``)."""
    if region is None or region.level == 1:
        return 0, {}
    if region.level in (2, 3):
        return region.level, {"region_code": region.code}
    lo, hi = codes.subtree_bounds(region.code)
    return 4, {"region_lo": lo, "region_hi": hi}


def bound_region_condition(columns: Any, reach: int) -> list[ColumnElement[bool]]:
    """``region_condition`` with the region as parameters, for ``region_reach``'s ``reach``."""
    if reach in (2, 3):
        column = columns.city_code if reach == 2 else columns.county_code
        return [column == bindparam("region_code")]
    if reach == 4:
        return [columns.region_code.between(bindparam("region_lo"), bindparam("region_hi"))]
    return []


def _insert(model: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return pg_insert(model)
    return sqlite_insert(model)


def apply(model: Any, keys: dict[str, Any], region_code: str, deltas: dict[str, Any]) -> None:
    """Add ``deltas`` to the row of ``keys`` for the region and each of its ancestors."""
    if not any(deltas.values()):
        return
    rows = [{"region_code": code, **keys, **deltas} for code in region_chain(region_code)]
    upsert_rows(model, rows, list(keys), list(deltas))


def upsert_rows(model: Any, rows: list[dict[str, Any]], key_names: list[str],
                value_names: list[str]) -> None:
    if not rows:
        return
    rows = sorted(rows, key=lambda r: tuple(str(r[k]) for k in ["region_code", *key_names]))
    table = model.__table__
    statement = _insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["region_code", *key_names],
        set_={name: table.c[name] + statement.excluded[name] for name in value_names})
    for row in rows:  # one by one: executemany of an upsert is not portable in order
        db.session.execute(statement, row)


def bulk(model: Any, items: Iterable[tuple[dict[str, Any], str, dict[str, Any]]],
         key_names: list[str], value_names: list[str]) -> None:
    """Sum many (keys, region, deltas) in memory first, then upsert each row once."""
    sums: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(dict)
    for keys, region_code, deltas in items:
        for code in region_chain(region_code):
            key = (code, *(keys[k] for k in key_names))
            row = sums[key]
            for name in value_names:
                row[name] = row.get(name, 0) + deltas.get(name, 0)
    table = model.__table__
    columns = [table.c.region_code, *(table.c[k] for k in key_names)]
    regions = sorted({key[0] for key in sums})
    existing: set[tuple[Any, ...]] = set()
    for start in range(0, len(regions), 500):
        existing.update(tuple(row) for row in db.session.execute(
            select(*columns).where(table.c.region_code.in_(regions[start:start + 500]))))
    new: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    for key, values in sorted(sums.items(), key=lambda item: tuple(map(str, item[0]))):
        row = {"region_code": key[0], **dict(zip(key_names, key[1:], strict=True)), **values}
        (old if key in existing else new).append(row)
    if new:
        db.session.execute(insert(table), new)
    if old:  # rows that exist already get the sums added, one executemany
        condition = [table.c.region_code == bindparam("k_region_code"),
                     *(table.c[k] == bindparam(f"k_{k}") for k in key_names)]
        statement = update(table).where(*condition).values(
            {name: table.c[name] + bindparam(f"v_{name}", type_=table.c[name].type)
             for name in value_names})
        db.session.execute(statement, [
            {**{f"k_{k}": row[k] for k in ["region_code", *key_names]},
             **{f"v_{name}": row.get(name, 0) for name in value_names}} for row in old])
