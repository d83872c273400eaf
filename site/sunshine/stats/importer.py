"""``sunshine import households FILE`` and ``sunshine import members FILE``: a county's export.

Streaming (one row in memory at a time, inserted in batches), all-or-nothing per file (one
transaction, rolled back on any bad row or on a dry run), every bad row reported with its line
number. The rows go in through the driver's executemany (SQLite) or COPY (PostgreSQL), never
the ORM: at province scale (1.5 M households, 5.4 M members) that is the difference between
seconds and minutes. Constraint failures the database finds (a duplicate ID number, a member
of an unknown household) are traced back to their lines by retrying that batch row by row.

Households' columns: archive_no (16 digits: the village code and a 4-digit serial),
village_code, main_cause, other_causes (、-separated), size, entered, exited, returned,
reexited, removed (years; blank = never), measures ("产业扶持:2015、2016;教育扶贫:2016"),
income ("2014:2300;2015:2810.5", per-capita net income in yuan), cadre, cadre_unit.

Members' columns: archive_no, name, id_number, relation, health, schooling, labour.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sunshine.admin.services import record
from sunshine.extensions import db
from sunshine.forms import has_bad_characters
from sunshine.guard import id_number_valid
from sunshine.importing import ImportReport, register_importer
from sunshine.regions.models import Region
from sunshine.stats import bulk, rollup, vocab
from sunshine.stats.csvload import BatchWriter, constraint, header, records
from sunshine.stats.idnumbers import id_hasher
from sunshine.stats.models import Member

log = logging.getLogger(__name__)

MAX_ERRORS = 10_000

HOUSEHOLD_TABLE_COLUMNS = ("id", "village_code", "main_cause", "other_causes", "size", "entered",
                           "exited", "returned", "reexited", "removed", "measures",
                           "measure_years", "income", "cadre", "cadre_unit", "synthetic")
MEMBER_TABLE_COLUMNS = ("household_id", "name", "id_hash", "id_masked", "relation", "sex",
                        "birth_year", "health", "schooling", "labour")

HOUSEHOLD_REQUIRED = {"archive_no", "village_code", "main_cause", "size", "entered"}
HOUSEHOLD_OPTIONAL = ("other_causes", "exited", "returned", "reexited", "removed", "measures",
                      "income", "cadre", "cadre_unit")
MEMBER_REQUIRED = {"archive_no", "name", "id_number", "relation", "health", "schooling",
                   "labour"}

_INCOME_RE = re.compile(r"(?:20\d\d:\d{1,7}(?:\.\d{1,2})?)(?:;20\d\d:\d{1,7}(?:\.\d{1,2})?)*")
_YEAR_LIST_RE = re.compile(r"20\d\d(?:、20\d\d)*")


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
    with bulk.big_cache():
        return _import_households(path, confirm)


def _import_households(path: Path, confirm: bool) -> ImportReport:
    report = ImportReport(kind="households", confirmed=confirm)
    rows = records(path)
    index = header(path, rows, HOUSEHOLD_REQUIRED, HOUSEHOLD_OPTIONAL)
    width = len(index)
    villages_known = set(db.session.execute(
        select(Region.code).where(Region.level == 5)).scalars())
    get = index.get
    i_archive, i_village, i_cause = index["archive_no"], index["village_code"], index["main_cause"]
    i_size, i_entered = index["size"], index["entered"]
    optional = [get(name) for name in HOUSEHOLD_OPTIONAL]
    all_optional = None not in optional
    seen: set[int] = set()
    existing: set[int] = set()
    counties_loaded: set[str] = set()
    villages: set[str] = set()
    cause_codes = vocab.CAUSE_CODES
    other_cache: dict[str, int | None] = {"": 0}
    measure_cache: dict[str, tuple[int, str] | None] = {"": (0, "")}
    event_cache: dict[tuple[int, ...], str | None] = {}
    text_cache: dict[str, bool] = {}
    writer = BatchWriter("household", HOUSEHOLD_TABLE_COLUMNS, report,
                     lambda exc: "档案编号重复" if constraint(exc) == "unique" else "区划不存在")
    updates: list[tuple[Any, ...]] = []
    last_village = ""
    for line, f in rows:
        report.rows += 1
        if len(f) != width:
            report.error(line, f"应有 {width} 列，实际 {len(f)} 列")
            if len(report.errors) >= MAX_ERRORS:
                break
            continue
        try:
            archive, village = f[i_archive], f[i_village]
            if not (len(archive) == 16 and archive.isascii() and archive.isdigit()):
                raise ValueError("档案编号应为 16 位数字（村代码 + 4 位序号）")
            if archive[:12] != village:
                raise ValueError("档案编号的前 12 位应是所在村的区划代码")
            if village not in villages_known:
                raise ValueError(f"村 {village[:12]} 不在区划表中（请先导入村级区划）")
            hid = int(archive)
            if hid in seen:
                raise ValueError("档案编号在文件中重复")
            cause = cause_codes.get(f[i_cause])
            if cause is None:
                raise ValueError(f"主要致贫原因“{f[i_cause][:20]}”不在标准列表中")
            size_text = f[i_size]
            if not (size_text.isascii() and size_text.isdigit() and 0 < int(size_text) <= 30):
                raise ValueError("家庭人口数应为 1–30")
            size = int(size_text)
            values = [f[j] for j in optional] if all_optional else \
                [f[j] if j is not None else "" for j in optional]
            other = other_cache.get(values[0])
            if other is None:
                other = _other_causes(values[0])
                other_cache[values[0]] = other
            e1, e2, e3, e4 = values[1], values[2], values[3], values[4]
            events = (int(f[i_entered]), int(e1) if e1 else 0, int(e2) if e2 else 0,
                      int(e3) if e3 else 0, int(e4) if e4 else 0)
            problem = event_cache.get(events, "")
            if problem == "":
                problem = vocab.check_events(*events)
                event_cache[events] = problem
            if problem:
                raise ValueError(problem)
            measures = measure_cache.get(values[5])
            if measures is None:
                measures = _measures(values[5])
                if len(measure_cache) < 100_000:
                    measure_cache[values[5]] = measures
            income = values[6]
            if income and not _INCOME_RE.fullmatch(income):
                raise ValueError("人均纯收入应写成 2014:2300;2015:2810.5")
            cadre, unit = values[7], values[8]
            for text, limit in ((cadre, 40), (unit, 100)):
                ok = text_cache.get(text)
                if ok is None:
                    ok = len(text) <= limit and not has_bad_characters(text)
                    if len(text_cache) < 100_000:
                        text_cache[text] = ok
                if not ok:
                    raise ValueError(f"帮扶责任人或单位不能超过 {limit} 字，不能含控制字符")
        except ValueError as exc:
            report.error(line, str(exc) if "invalid literal" not in str(exc) else "年度应为数字")
            if len(report.errors) >= MAX_ERRORS:
                break
            continue
        seen.add(hid)
        if village != last_village:
            last_village = village
            villages.add(village)
            county = village[:6]
            if county not in counties_loaded:
                counties_loaded.add(county)
                existing.update(_existing_ids(county))
        row = (hid, village, cause, other, size, *events, measures[0], measures[1], income,
               cadre, unit, False)
        if hid in existing:
            report.updated += 1
            updates.append(row)
        else:
            report.created += 1
            writer.add(line, row)
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


def _other_causes(text: str) -> int:
    bits = 0
    for label in re.split(r"[、;；,，\s]+", text.strip()):
        if not label:
            continue
        code = vocab.CAUSE_CODES.get(label)
        if code is None:
            raise ValueError(f"其他致贫原因“{label[:20]}”不在标准列表中")
        bits |= 1 << (code - 1)
    return bits


_YEAR = r"20(?:1[4-9]|20)"
_MEASURE_RE = re.compile(
    "(?:{m}):(?:{y}(?:、{y})*)?(?:;(?:{m}):(?:{y}(?:、{y})*)?)*".format(
        m="|".join(vocab.MEASURES), y=_YEAR))


def _measures(text: str) -> tuple[int, str]:
    """("产业扶持:2015、2016;教育扶贫:2016") -> (bitmask, the text).

    One regular expression checks the usual spelling (in C); anything else goes through the
    slow path, which says what is wrong."""
    if len(text) <= 400 and _MEASURE_RE.fullmatch(text):
        bits = 0
        for name, bit in vocab.MEASURE_BITS.items():
            if name in text:  # no measure's name contains another's
                bits |= 1 << bit
        return bits, text
    return _measures_slowly(text)


def _measures_slowly(text: str) -> tuple[int, str]:
    """("产业扶持:2015、2016;教育扶贫:2016") -> (bitmask, the same text, normalised)."""
    bits = 0
    parts = []
    for part in text.split(";"):
        if not part:
            continue
        name, _, years = part.partition(":")
        bit = vocab.MEASURE_BITS.get(name.strip())
        if bit is None:
            raise ValueError(f"帮扶措施“{name[:20]}”不在标准列表中")
        years = years.strip()
        if years and not _YEAR_LIST_RE.fullmatch(years):
            raise ValueError("帮扶措施的年度应写成 产业扶持:2015、2016")
        if any(not vocab.FIRST_YEAR <= int(y) <= vocab.LAST_YEAR
               for y in filter(None, years.split("、"))):
            raise ValueError(f"帮扶措施的年度应在 {vocab.FIRST_YEAR}–{vocab.LAST_YEAR} 之间")
        bits |= 1 << bit
        parts.append(f"{name.strip()}:{years}")
    normalised = ";".join(parts)
    if len(normalised) > 400:
        raise ValueError("帮扶措施太长")
    return bits, normalised


# --- members ---------------------------------------------------------------------------------------


@register_importer("members")
def import_members(path: Path, confirm: bool = False) -> ImportReport:
    """Load household members; a household's members in the file replace those stored."""
    with bulk.big_cache():
        return _import_members(path, confirm)


def _import_members(path: Path, confirm: bool) -> ImportReport:
    report = ImportReport(kind="members", confirmed=confirm)
    rows = records(path)
    index = header(path, rows, MEMBER_REQUIRED)
    width = len(index)
    i_archive, i_name, i_id = index["archive_no"], index["name"], index["id_number"]
    i_rel, i_health, i_school, i_labour = (index["relation"], index["health"],
                                           index["schooling"], index["labour"])
    relations, health, schooling, labour = (vocab.RELATION_CODES, vocab.HEALTH_CODES,
                                            vocab.SCHOOLING_CODES, vocab.LABOUR_CODES)
    digest = id_hasher()
    counties_loaded: set[str] = set()
    with_members: set[int] = set()
    villages: set[str] = set()
    name_cache: dict[str, bool] = {}

    def explain(exc: Exception) -> str:
        kind = constraint(exc)
        if kind == "unique":
            return "身份证号已登记在其他成员名下（一人只能在一户）"
        if kind == "foreign":
            return "档案编号不存在（请先导入贫困户）"
        return "数据库拒绝了这一行"

    writer = BatchWriter("household_member", MEMBER_TABLE_COLUMNS, report, explain)
    add = writer.add
    first_load = _begin_first_load()
    last_archive = ""
    hid = 0
    for line, f in rows:
        report.rows += 1
        if len(f) != width:
            report.error(line, f"应有 {width} 列，实际 {len(f)} 列")
            if len(report.errors) >= MAX_ERRORS:
                break
            continue
        try:
            archive = f[i_archive]
            if archive != last_archive:
                if not (len(archive) == 16 and archive.isascii() and archive.isdigit()):
                    raise ValueError("档案编号应为 16 位数字")
            name = f[i_name]
            ok = name_cache.get(name)
            if ok is None:
                ok = 0 < len(name) <= 20 and not has_bad_characters(name) \
                    and not any(c.isdigit() for c in name)
                if len(name_cache) < 200_000:
                    name_cache[name] = ok
            if not ok:
                raise ValueError("姓名应为 1–20 个字，不能含数字或控制字符")
            number = f[i_id]
            if number[-1:] == "x":
                number = number.upper()
            if not (number.isascii() and id_number_valid(number)):
                raise ValueError("身份证号无效（长度、出生日期或校验码不对）")
            relation = relations.get(f[i_rel])
            h = health.get(f[i_health])
            school = schooling.get(f[i_school])
            work = labour.get(f[i_labour])
            if relation is None or h is None or school is None or work is None:
                raise ValueError("与户主关系、健康状况、文化程度或劳动能力不在标准列表中")
        except ValueError as exc:
            report.error(line, str(exc))
            if len(report.errors) >= MAX_ERRORS:
                break
            continue
        if archive != last_archive:
            last_archive = archive
            hid = int(archive)
            villages.add(archive[:12])
            county = archive[:6]
            if county not in counties_loaded:
                counties_loaded.add(county)
                with_members.update(_households_with_members(county))
            if hid in with_members:
                # The file holds the household's members: they replace those stored.
                with_members.discard(hid)
                bulk.execute_raw("DELETE FROM household_member WHERE household_id = ?", (hid,))
        report.created += 1
        add(line, (hid, name, digest(number), number[:6] + "********" + number[14:], relation,
                   int(number[16]) % 2, int(number[6:10]), h, school, work))
    writer.flush()
    if first_load:
        _end_first_load(report, path, i_archive, i_id, digest)
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
