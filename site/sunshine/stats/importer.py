"""``sunshine import households FILE`` and ``sunshine import members FILE``: a county's export.

Streaming (a few batches of 20,000 rows in memory at a time), all-or-nothing per file (one
transaction, rolled back on any bad row or on a dry run), every bad row reported with its line
number. The rows go in through the driver's executemany (SQLite) or COPY (PostgreSQL), never
the ORM: at province scale (1.5 M households, 5.4 M members) that is the difference between
seconds and minutes. The rows are checked in ``rowcheck`` (a clean batch column by column in
``fastcheck``), by worker processes when the file is large, while this process inserts.
Constraint failures the database finds (a duplicate ID number, a member
of an unknown household) are traced back to their lines by retrying that batch row by row.

Households' columns: archive_no (16 digits: the village code and a 4-digit serial),
village_code, main_cause, other_causes (、-separated), size, entered, exited, returned,
reexited, removed (years; blank = never), measures ("产业扶持:2015、2016;教育扶贫:2016"),
income ("2014:2300;2015:2810.5", per-capita net income in yuan), cadre, cadre_unit.

Members' columns: archive_no, name, id_number, relation, health, schooling, labour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sunshine.admin.services import record
from sunshine.extensions import db
from sunshine.guard import id_number_valid
from sunshine.importing import ImportReport, register_importer
from sunshine.regions.models import Region
from sunshine.stats import bulk, rollup, rowcheck
from sunshine.stats.csvload import (BatchWriter, constraint, header,
                                    logical_lines, parse_batches, records)
from sunshine.stats.idnumbers import id_hash_key, id_hasher
from sunshine.stats.models import Member

log = logging.getLogger(__name__)

MAX_ERRORS = 10_000

HOUSEHOLD_TABLE_COLUMNS = ("id", "village_code", "main_cause", "other_causes", "size", "entered",
                           "exited", "returned", "reexited", "removed", "measures",
                           "measure_years", "income", "cadre", "cadre_unit", "synthetic")
MEMBER_TABLE_COLUMNS = ("household_id", "name", "id_hash", "id_masked", "relation", "sex",
                        "birth_year", "health", "schooling", "labour")

HOUSEHOLD_REQUIRED = {"archive_no", "village_code", "main_cause", "size", "entered"}
MEMBER_REQUIRED = {"archive_no", "name", "id_number", "relation", "health", "schooling",
                   "labour"}



def _take(report: ImportReport, checked: rowcheck.Checked, villages: set[str],
          counties: set[str]) -> set[str]:
    """Count a checked batch into the report and the villages seen; return the counties it
    is the first to name (what is stored of them is looked up once)."""
    report.rows += checked.records
    report.errors.extend(checked.errors)
    villages |= checked.villages
    new = {village[:6] for village in checked.villages} - counties
    counties |= new
    return new


def _finish(report: ImportReport, confirm: bool, villages: set[str], what: str) -> ImportReport:
    report.errors.sort()
    if report.ok and confirm:
        record("stats_import", None, what, "", None,
               f"{report.summary()}（{len(villages)} 个村）")
        db.session.commit()
        if what == "household":
            rollup.rebuild_villages(villages)
    else:
        db.session.rollback()
    return report


# --- households -----------------------------------------------------------------------------------


@register_importer("households")
def import_households(path: Path, confirm: bool = False) -> ImportReport:
    """Load households (see the module docstring); a known archive number is updated."""
    with bulk.big_cache(), bulk.no_gc():
        return _import_households(path, confirm)


def _import_households(path: Path, confirm: bool) -> ImportReport:
    report = ImportReport(kind="households", confirmed=confirm)
    lines = logical_lines(path)
    after, index = header(path, lines, HOUSEHOLD_REQUIRED)
    rowcheck.start_households(path, index, frozenset(db.session.execute(
        select(Region.code).where(Region.level == 5)).scalars()))
    seen: set[int] = set()
    existing: set[int] = set()
    counties_loaded: set[str] = set()
    villages: set[str] = set()
    writer = BatchWriter("household", HOUSEHOLD_TABLE_COLUMNS, report,
                         lambda exc: "档案编号重复" if constraint(exc) == "unique" else "区划不存在")
    updates: list[tuple[Any, ...]] = []
    for checked in parse_batches(path, lines, rowcheck.check_households, after):
        for county in _take(report, checked, villages, counties_loaded):
            existing.update(_existing_ids(county))
        rows, row_lines = checked.table_rows(), checked.lines
        ids = [row[0] for row in rows]
        if seen.isdisjoint(ids) and len(set(ids)) == len(ids) and existing.isdisjoint(ids):
            seen.update(ids)  # the usual case: all new
            report.created += len(rows)
            writer.add_many(row_lines, rows)
        else:
            for line, row in zip(row_lines, rows, strict=True):
                if row[0] in seen:
                    report.error(line, "档案编号在文件中重复")
                    continue
                seen.add(row[0])
                if row[0] in existing:
                    report.updated += 1
                    updates.append(row)
                else:
                    report.created += 1
                    writer.add(line, row)
        if len(report.errors) >= MAX_ERRORS:
            break
    writer.flush()
    if report.ok and updates:
        columns = HOUSEHOLD_TABLE_COLUMNS[1:]
        bulk.execute_many(f"UPDATE household SET {', '.join(c + ' = ?' for c in columns)} "
                          "WHERE id = ?", [(*row[1:], row[0]) for row in updates])
    return _finish(report, confirm, villages, "household")


def _existing_ids(county: str) -> set[int]:
    lo, hi = rollup.village_range(county.ljust(12, "0"))
    return {row[0] for row in bulk.stream("SELECT id FROM household WHERE id BETWEEN ? AND ?",
                                          (lo, hi))}


# --- members ---------------------------------------------------------------------------------------


@register_importer("members")
def import_members(path: Path, confirm: bool = False) -> ImportReport:
    """Load household members; a household's members in the file replace those stored."""
    with bulk.big_cache(), bulk.no_gc():
        return _import_members(path, confirm)


def _import_members(path: Path, confirm: bool) -> ImportReport:
    report = ImportReport(kind="members", confirmed=confirm)
    lines = logical_lines(path)
    after, index = header(path, lines, MEMBER_REQUIRED)
    rowcheck.start_members(path, index, id_hash_key())
    counties_loaded: set[str] = set()
    with_members: set[int] = set()
    villages: set[str] = set()

    def explain(exc: Exception) -> str:
        kind = constraint(exc)
        if kind == "unique":
            return "身份证号已登记在其他成员名下（一人只能在一户）"
        if kind == "foreign":
            return "档案编号不存在（请先导入贫困户）"
        return "数据库拒绝了这一行"

    writer = BatchWriter("household_member", MEMBER_TABLE_COLUMNS, report, explain)
    first_load = _begin_first_load()
    for checked in parse_batches(path, lines, rowcheck.check_members, after):
        for county in _take(report, checked, villages, counties_loaded):
            with_members.update(_households_with_members(county))
        if with_members and not with_members.isdisjoint(checked.households):
            for hid in checked.households:
                if hid in with_members:
                    # The file holds the household's members: they replace those stored.
                    with_members.discard(hid)
                    bulk.execute_raw("DELETE FROM household_member WHERE household_id = ?",
                                     (hid,))
        rows = checked.table_rows()
        report.created += len(rows)
        writer.add_many(checked.lines, rows)
        if len(report.errors) >= MAX_ERRORS:
            break
    writer.flush()
    if first_load:
        _end_first_load(report, path, index["archive_no"], index["id_number"], id_hasher())
    return _finish(report, confirm, villages, "household_member")


ID_HASH_INDEX = "ix_household_member_id_hash"


def _begin_first_load() -> bool:
    """Loading members into an empty SQLite table: drop the unique index on the ID hash and
    build it once at the end (one sort instead of millions of random B-tree inserts; 2–4×
    faster at province scale). Transactional: a failed or dry run puts the index back."""
    if bulk.dialect() != "sqlite":
        return False
    if db.session.scalar(select(Member.id).limit(1)) is not None:
        return False
    bulk.ensure_transaction()
    bulk.execute_raw(f"DROP INDEX IF EXISTS {ID_HASH_INDEX}")
    return True


def _end_first_load(report: ImportReport, path: Path, i_archive: int, i_id: int,
                    digest: Callable[[str], bytes]) -> None:
    integrity = db.session.get_bind().dialect.dbapi.IntegrityError
    try:
        bulk.execute_raw(f"CREATE UNIQUE INDEX {ID_HASH_INDEX} ON household_member (id_hash)")
        return
    except integrity:
        pass
    # Some ID number came twice: name the lines (a second pass, only when this happens).
    twice = {row[0] for row in bulk.stream(
        "SELECT id_hash FROM household_member GROUP BY id_hash HAVING COUNT(*) > 1")}
    first_line: dict[bytes, int] = {}
    refused = {line for line, _ in report.errors}
    for line, f in records(path):
        if line == 1 or line in refused or len(f) <= max(i_archive, i_id):
            continue
        number = f[i_id].upper()
        if not (number.isascii() and id_number_valid(number)):
            continue
        h = digest(number)
        if h in twice:
            if h in first_line:
                report.error(line, f"身份证号与第 {first_line[h]} 行重复（一人只能在一户）")
            else:
                first_line[h] = line
    if report.ok:  # pragma: no cover  (the database and the file disagree: say so)
        report.error(1, "身份证号有重复")


def _households_with_members(county: str) -> set[int]:
    lo, hi = rollup.village_range(county.ljust(12, "0"))
    return {row[0] for row in bulk.stream(
        "SELECT DISTINCT household_id FROM household_member WHERE household_id BETWEEN ? AND ?",
        (lo, hi))}
