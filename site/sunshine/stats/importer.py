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
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sunshine.audit import record
from sunshine.extensions import db
from sunshine.importing import ImportReport
from sunshine.regions.models import Region
from sunshine.stats import bulk, members, rollup, rowcheck
from sunshine.stats.csvload import BatchWriter, constraint, header, logical_lines
from sunshine.stats.idnumbers import id_hash_key
from sunshine.stats.models import Household, MemberId
from sunshine.stats.parallel import parse_batches
from sunshine.stats.scanrows import scan_rows

log = logging.getLogger(__name__)

MAX_ERRORS = 10_000

HOUSEHOLD_TABLE_COLUMNS = ("id", "village_code", "main_cause", "other_causes", "size", "entered",
                           "exited", "returned", "reexited", "removed", "measures",
                           "measure_years", "income", "cadre", "cadre_unit", "synthetic")

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


def _finish(report: ImportReport, confirm: bool, villages: set[str], what: str,
            register: Any = None) -> ImportReport:
    """Commit (or roll back) the import; after households, roll their villages up
    (``register``: the whole register's scan rows, when the import filled an empty one)."""
    report.errors.sort()
    if report.ok and confirm:
        record("stats_import", None, what, "", None,
               f"{report.summary()}（{len(villages)} 个村）")
        db.session.commit()
        _analyze(("household",) if what == "household" else ("household_members", "member_id"))
        if what == "household":
            rollup.rebuild_villages(villages, register)
    else:
        db.session.rollback()
    return report


def _analyze(tables: tuple[str, ...]) -> None:
    """On PostgreSQL, fresh statistics for the tables an import wrote (as its manual advises
    after a bulk load), rather than waiting for autovacuum: the planner's estimates, and the
    rollup scan's split of the register (``scan._pg_middle``), which without them counts the
    register twice. The register itself is vacuumed too, so that the rebuilds that read it do
    not meet autovacuum's pass over the new rows (VACUUM runs outside a transaction)."""
    bulk.maintain(*(f"VACUUM (ANALYZE) {table}" if table == "household" else f"ANALYZE {table}"
                    for table in tables))


# --- households -----------------------------------------------------------------------------------


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
    seen = _Seen()
    existing: set[int] = set()
    counties_loaded: set[str] = set()
    villages: set[str] = set()
    writer = BatchWriter("household", HOUSEHOLD_TABLE_COLUMNS, report,
                         lambda exc: "档案编号重复" if constraint(exc) == "unique"
                         else "区划不存在")
    updates: list[tuple[Any, ...]] = []
    # Into an empty register, the rows the rollup would read back are kept as they go in.
    scanned: list[Any] | None = [] if _register_empty() else None
    for checked in parse_batches(path, lines, rowcheck.check_households, after):
        for county in _take(report, checked, villages, counties_loaded):
            existing.update(_existing_ids(county))
        ids = checked.columns[0] if checked.columns is not None else \
            array("q", (row[0] for row in checked.rows))
        if seen.all_new(ids) and (not existing or existing.isdisjoint(ids)):
            seen.add(ids)  # the usual case: all new
            report.created += len(ids)
            writer.add_lazily(checked.lines, checked.iter_rows)
            if scanned is not None:
                scanned.append(_scan_rows(checked))
        else:
            scanned = None  # rarely (repeats, or households already stored): read back
            for line, row in zip(checked.lines, checked.table_rows(), strict=True):
                if row[0] in seen:
                    report.error(line, "档案编号在文件中重复")
                    continue
                seen.add(array("q", (row[0],)))
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
    register = None
    if scanned is not None and report.ok:
        import numpy as np

        register = np.concatenate(scanned) if scanned else np.zeros((0, 2), dtype=np.int64)
    return _finish(report, confirm, villages, "household", register)


def _register_empty() -> bool:
    return db.session.scalar(select(Household.id).limit(1)) is None


def _scan_rows(checked: rowcheck.Checked) -> Any:
    """``scanrows.scan_rows`` of a batch's rows (all of them new and good)."""
    columns: Sequence[Sequence[Any]] = checked.columns if checked.columns is not None else \
        list(zip(*checked.rows, strict=True)) if checked.rows else [[]] * 11
    return scan_rows(columns[0], columns[2], columns[4], columns[5:10], columns[10])


class _Seen:
    """The archive numbers met so far in the file. A county's export is sorted, so the usual
    batch only holds numbers above all earlier ones: then nothing is looked up, and the set
    is only made if an unsorted batch comes."""

    def __init__(self) -> None:
        self.top = -1
        self.runs: list[array] = []
        self.numbers: set[int] | None = None

    def all_new(self, ids: array) -> bool:
        """Whether ``ids`` (one batch) are distinct and none was met before."""
        import numpy as np

        values = np.frombuffer(ids, dtype=np.int64) if len(ids) else np.zeros(0, np.int64)
        if not len(values) or (values[0] > self.top and bool((np.diff(values) > 0).all())):
            return True
        return len(set(ids)) == len(ids) and self._set().isdisjoint(ids)

    def add(self, ids: array) -> None:
        if self.numbers is not None:
            self.numbers.update(ids)
        else:
            self.runs.append(ids)
        if len(ids):
            self.top = max(self.top, max(ids))

    def _set(self) -> set[int]:
        if self.numbers is None:
            self.numbers = {n for run in self.runs for n in run}
            self.runs = []
        return self.numbers

    def __contains__(self, number: int) -> bool:
        return number in self._set()


def _existing_ids(county: str) -> set[int]:
    lo, hi = rollup.village_range(county.ljust(12, "0"))
    return {row[0] for row in bulk.stream("SELECT id FROM household WHERE id BETWEEN ? AND ?",
                                          (lo, hi))}


# --- members --------------------------------------------------------------------------------------


def import_members(path: Path, confirm: bool = False) -> ImportReport:
    """Load household members; a household's members in the file replace those stored."""
    with bulk.big_cache(), bulk.no_gc():
        return _import_members(path, confirm)


LIST_COLUMNS = ("household_id", "count", "packed")
ID_COLUMNS = ("id_hash", "household_id")
TWICE = "身份证号已登记在其他成员名下（一人只能在一户）"


def _import_members(path: Path, confirm: bool) -> ImportReport:
    report = ImportReport(kind="members", confirmed=confirm)
    lines = logical_lines(path)
    after, index = header(path, lines, MEMBER_REQUIRED)
    rowcheck.start_members(path, index, id_hash_key())
    counties_loaded: set[str] = set()
    stored: set[int] = set()  # households of the counties seen that have members stored
    villages: set[str] = set()
    lists = _Lists(report)
    ids = _FirstLoadIds() if _first_load() else BatchWriter(
        "member_id", ID_COLUMNS, report,
        lambda exc: TWICE if constraint(exc) == "unique" else "数据库拒绝了这一行")
    for checked in parse_batches(path, lines, rowcheck.check_members, after):
        for county in _take(report, checked, villages, counties_loaded):
            stored.update(_households_with_members(county))
        packed = checked.packed
        assert packed is not None
        if stored and not stored.isdisjoint(packed.households):
            for hid in stored.intersection(packed.households):
                stored.discard(hid)  # the file holds its members: they replace those stored
                _remove_members(hid)
        report.created += len(packed.hashes)
        lists.add(packed)
        if isinstance(ids, _FirstLoadIds):
            ids.add(packed)
        else:
            ids.add_many(packed.lines.tolist(),
                         list(zip(packed.hashes.tolist(), packed.owners.tolist(), strict=True)))
        if len(report.errors) >= MAX_ERRORS:
            break
    lists.close()
    if isinstance(ids, _FirstLoadIds):
        ids.close(report)
    else:
        ids.flush()
    return _finish(report, confirm, villages, "household_member")


def _first_load() -> bool:
    return db.session.scalar(select(MemberId.id_hash).limit(1)) is None


class _Lists:
    """``household_members`` rows, one a household, written a batch behind: a household whose
    members run on into the next batch is completed first, and one that comes back later in
    the file (an unsorted file) gets the later members appended."""

    def __init__(self, report: ImportReport) -> None:
        self.writer = BatchWriter("household_members", LIST_COLUMNS, report,
                                  lambda exc: "档案编号不存在（请先导入贫困户）"
                                  if constraint(exc) == "foreign" else "数据库拒绝了这一行")
        self.pending: tuple[int, int, int, str] | None = None  # line, household, count, text
        self.written = _Seen()

    def add(self, packed: members.Packed) -> None:
        lines, hids = packed.first_lines[:], packed.households[:]
        counts, texts = packed.counts[:], packed.texts[:]
        if self.pending is not None:
            line, hid, count, text = self.pending
            if hids and hids[0] == hid:
                lines[0], counts[0], texts[0] = line, count + counts[0], members.merge(text,
                                                                                    texts[0])
            else:
                lines.insert(0, line)
                hids.insert(0, hid)
                counts.insert(0, count)
                texts.insert(0, text)
        if hids:
            self.pending = (lines.pop(), hids.pop(), counts.pop(), texts.pop())
            self._write(lines, hids, counts, texts)

    def _write(self, lines: list[int], hids: list[int], counts: list[int],
               texts: list[str]) -> None:
        written = self.written
        numbers = array("q", hids)
        if written.all_new(numbers):  # the usual case
            written.add(numbers)
            self.writer.add_many(lines, list(zip(hids, counts, texts, strict=True)))
            return
        for line, hid, count, text in zip(lines, hids, counts, texts, strict=True):
            if hid in written:
                self.writer.flush()
                bulk.execute_raw("UPDATE household_members SET count = count + ?, packed = "
                                 "packed || ? || ? WHERE household_id = ?",
                                 (count, members.MEMBER, text, hid))
            else:
                written.add(array("q", (hid,)))
                self.writer.add(line, (hid, count, text))

    def close(self) -> None:
        if self.pending is not None:
            line, hid, count, text = self.pending
            self._write([line], [hid], [count], [text])
            self.pending = None
        self.writer.flush()


class _FirstLoadIds:
    """Into an empty ``member_id``: the hashes are kept (as arrays) and written at the end,
    sorted, which builds its B-tree in order (3× faster than inserting 5 M random keys);
    a number that comes twice is found in the sorted arrays, with its lines."""

    def __init__(self) -> None:
        self.hashes, self.owners, self.lines = array("q"), array("q"), array("q")

    def add(self, packed: members.Packed) -> None:
        self.hashes.extend(packed.hashes)
        self.owners.extend(packed.owners)
        self.lines.extend(packed.lines)

    def close(self, report: ImportReport) -> None:
        import numpy as np

        hashes = np.frombuffer(self.hashes, dtype=np.int64)
        order = np.argsort(hashes)
        hashes = hashes[order]
        same = np.flatnonzero(hashes[1:] == hashes[:-1])  # i: hashes[i] == hashes[i + 1]
        if same.size:
            lines = np.frombuffer(self.lines, dtype=np.int64)[order]
            for start in same[np.r_[True, np.diff(same) > 1]].tolist():  # each run of equals
                end = start + 1
                while end + 1 < len(hashes) and hashes[end + 1] == hashes[start]:
                    end += 1
                first, *later = sorted(lines[start:end + 1].tolist())
                for line in later:
                    report.error(line, f"身份证号与第 {first} 行重复（一人只能在一户）")
        if report.ok:
            owners = np.frombuffer(self.owners, dtype=np.int64)[order]
            bulk.insert_in_key_order("member_id", ID_COLUMNS, [hashes, owners])


def _remove_members(hid: int) -> None:
    """A household's stored members, and who they were, before the file's replace them."""
    for (packed,) in bulk.stream("SELECT packed FROM household_members WHERE household_id = ?",
                                 (hid,)):
        for id_hash in members.hashes_of(packed):
            bulk.execute_raw("DELETE FROM member_id WHERE id_hash = ?", (id_hash,))
    bulk.execute_raw("DELETE FROM household_members WHERE household_id = ?", (hid,))


def _households_with_members(county: str) -> set[int]:
    lo, hi = rollup.village_range(county.ljust(12, "0"))
    return {row[0] for row in bulk.stream(
        "SELECT household_id FROM household_members WHERE household_id BETWEEN ? AND ?",
        (lo, hi))}
