"""Checking the register's CSV rows, a batch at a time, in whichever process parses them.

The importers (``importer.py``) read the file and write to the database; the checks here turn a
batch of text lines into rows ready to insert plus line-numbered errors. They need nothing from
the database but what ``start_households``/``start_members`` put in this module before the
worker processes fork, so a batch can be checked in any of them (``parallel.parse_batches``).
What needs the whole file or the database (duplicates across batches, households already
stored) is left to the importer.
"""

from __future__ import annotations

import functools
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sunshine.forms import has_bad_characters
from sunshine.guard import id_number_valid
from sunshine.stats import fastcheck, members, vocab
from sunshine.stats.csvload import Batch, split_line
from sunshine.stats.idnumbers import hash_all, hasher_from_key
from sunshine.stats.vectors import SERIAL

HOUSEHOLD_OPTIONAL = ("other_causes", "exited", "returned", "reexited", "removed", "measures",
                      "income", "cadre", "cadre_unit")

_INCOME_RE = re.compile(r"(?:20\d\d:\d{1,7}(?:\.\d{1,2})?)(?:;20\d\d:\d{1,7}(?:\.\d{1,2})?)*")
_YEAR_LIST_RE = re.compile(r"20\d\d(?:、20\d\d)*")


@dataclass
class Checked:
    """One batch, checked: the good rows (and their lines), the errors, what they touch."""

    records: int = 0
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    villages: set[str] = field(default_factory=set)
    #: A batch the fast path passed comes as columns (``fastcheck``) instead of rows.
    columns: list[Any] | None = None
    #: Members: the good rows grouped by household (``members.pack``).
    packed: members.Packed | None = None

    @property
    def households(self) -> list[int]:
        """Members: the households of the batch, in order of their first row."""
        return self.packed.households if self.packed is not None else []

    def table_rows(self) -> list[tuple[Any, ...]]:
        """The good rows, in the table's column order."""
        return self.rows if self.columns is None else list(self.iter_rows())

    def iter_rows(self) -> Iterator[tuple[Any, ...]]:
        """The good rows, made as they are used (an insert then never holds them all)."""
        if self.columns is None:
            return iter(self.rows)
        return zip(*(column.tolist() if isinstance(column, array) else
                     column.split(fastcheck.JOIN) if isinstance(column, str) else column
                     for column in self.columns), strict=True)


@dataclass
class _Start:
    path: str
    index: dict[str, int]
    villages: frozenset[str] = frozenset()
    id_key: bytes = b""


_start: _Start | None = None


def start_households(path: Path, index: dict[str, int], villages: frozenset[str]) -> None:
    """What the household checks need: the file's columns and the known villages."""
    global _start
    _start = _Start(str(path), index, villages)


def start_members(path: Path, index: dict[str, int], id_key: bytes) -> None:
    """What the member checks need: the file's columns and the ID number hash key."""
    global _start
    _start = _Start(str(path), index, id_key=id_key)


def _records(batch: Batch, path: str, width: int, out: Checked) -> Iterator[tuple[int, list[str]]]:
    """The batch's records with the right number of fields; the others are reported, blank
    lines skipped."""
    for line, text in zip(batch.numbers, batch.texts, strict=True):
        fields = split_line(text, path, line)
        if fields == [""]:
            continue
        out.records += 1
        if len(fields) != width:
            out.errors.append((line, f"应有 {width} 列，实际 {len(fields)} 列"))
            continue
        yield line, fields


# --- households -----------------------------------------------------------------------------------


def check_households(batch: Batch) -> Checked:
    """Households' rows (``importer.HOUSEHOLD_TABLE_COLUMNS`` order) from a batch of lines."""
    assert _start is not None
    start = _start
    index = start.index
    out = Checked()
    width = len(index)
    get = index.get
    i_archive, i_village, i_cause = index["archive_no"], index["village_code"], index["main_cause"]
    i_size, i_entered = index["size"], index["entered"]
    optional = [get(name) for name in HOUSEHOLD_OPTIONAL]
    present = [i for i in optional if i is not None]
    all_optional = len(present) == len(optional)
    villages_known = start.villages
    cause_codes = vocab.CAUSE_CODES
    other_cache, measure_cache, event_cache, text_cache, _ = _caches
    # The fast checks read every optional column; a file without some goes row by row.
    fields = fastcheck.split_plain(batch, width) if all_optional else None
    if fields is not None:
        columns = fastcheck.households(fields, index, present, villages_known, text_ok,
                                       other_causes, measure_part_bit, _INCOME_RE.fullmatch)
        if columns is not None:
            return Checked(len(batch.numbers), [], list(batch.numbers), [], set(columns[1]),
                           columns=columns)
    rows, lines, errors = out.rows, out.lines, out.errors
    villages = out.villages
    last_village = ""
    for line, f in _records(batch, start.path, width, out):
        try:
            archive, village = f[i_archive], f[i_village]
            if not (len(archive) == 16 and archive.isascii() and archive.isdigit()):
                raise ValueError("档案编号应为 16 位数字（村代码 + 4 位序号）")
            if archive[:12] != village:
                raise ValueError("档案编号的前 12 位应是所在村的区划代码")
            if village not in villages_known:
                raise ValueError(f"村 {village[:12]} 不在区划表中（请先导入村级区划）")
            cause = cause_codes.get(f[i_cause])
            if cause is None:
                raise ValueError(f"主要致贫原因“{f[i_cause][:20]}”不在标准列表中")
            size_text = f[i_size]
            if not (size_text.isascii() and size_text.isdigit() and 0 < int(size_text) <= 30):
                raise ValueError("家庭人口数应为 1–30")
            values = [f[j] for j in present] if all_optional else \
                [f[j] if j is not None else "" for j in optional]
            other = other_cache.get(values[0])
            if other is None:
                other = other_causes(values[0])
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
                measures = parse_measures(values[5])
                if len(measure_cache) < 100_000:
                    measure_cache[values[5]] = measures
            income = values[6]
            if income and not _INCOME_RE.fullmatch(income):
                raise ValueError("人均纯收入应写成 2014:2300;2015:2810.5")
            cadre, unit = values[7], values[8]
            for text_, limit in ((cadre, 40), (unit, 100)):
                ok = text_cache.get((limit, text_))
                if ok is None:
                    ok = text_ok(text_, limit)
                    if len(text_cache) < 100_000:
                        text_cache[(limit, text_)] = ok
                if not ok:
                    raise ValueError(f"帮扶责任人或单位不能超过 {limit} 字，不能含控制字符")
        except ValueError as exc:
            errors.append((line, str(exc) if "invalid literal" not in str(exc)
                           else "年度应为数字"))
            continue
        if village != last_village:
            last_village = village
            villages.add(village)
        rows.append((int(archive), village, cause, other, int(size_text), *events, measures[0],
                     measures[1], income, cadre, unit, False))
        lines.append(line)
    return out


#: Per process: results for values that repeat (other causes, measures, events, cadres and
#: units, names).
_caches: tuple[dict[str, int | None], dict[str, tuple[int, str] | None],
               dict[tuple[int, ...], str | None], dict[tuple[int, str], bool],
               dict[str, bool]] = ({"": 0}, {"": (0, "")}, {}, {}, {})


def text_ok(text: str, limit: int) -> bool:
    """A cadre's name or unit: at most ``limit`` characters, no control characters."""
    return len(text) <= limit and not has_bad_characters(text)


def name_ok(name: str) -> bool:
    """A member's name: 1–20 characters, no digits or control characters."""
    return 0 < len(name) <= 20 and not has_bad_characters(name) \
        and not any(c.isdigit() for c in name)


def other_causes(text: str) -> int:
    """"因残、缺技术" -> a bitmask of causes (bit c-1 for cause c)."""
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
_MEASURE_PART_RE = re.compile("(?:{m}):(?:{y}(?:、{y})*)?".format(
    m="|".join(vocab.MEASURES), y=_YEAR))


def parse_measures(text: str) -> tuple[int, str]:
    """("产业扶持:2015、2016;教育扶贫:2016") -> (bitmask, the text).

    Each part in the usual spelling is checked once (a regular expression) and remembered;
    anything else goes through the slow path, which says what is wrong."""
    if len(text) <= 400:
        bits = 0
        for part in text.split(";"):
            bit = measure_part_bit(part)
            if bit is None:
                break
            bits |= bit
        else:
            return bits, text
    return _measures_slowly(text)


def measure_part_bit(part: str) -> int | None:
    """The bit of one part ("产业扶持:2015、2016") in the usual spelling, else None."""
    bit = _PART_BITS.get(part)
    if bit is None:
        if not _MEASURE_PART_RE.fullmatch(part):
            return None
        bit = 1 << vocab.MEASURE_BITS[part[:part.index(":")]]
        if len(_PART_BITS) < 10_000:
            _PART_BITS[part] = bit
    return bit


#: "产业扶持:2015、2016" -> its measure's bit: the parts repeat far more than whole texts.
_PART_BITS: dict[str, int] = {}


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


# --- members --------------------------------------------------------------------------------------


def check_members(batch: Batch) -> Checked:
    """Members' rows, checked and packed by household (``Checked.packed``)."""
    assert _start is not None
    start = _start
    index = start.index
    width = len(index)
    digest = hasher_from_key(start.id_key)
    fields = fastcheck.split_plain(batch, width)
    if fields is not None:
        packed = fastcheck.members_packed(fields, index, batch.numbers, name_ok,
                                          functools.partial(hash_all, start.id_key))
        if packed is not None:
            return _with_packed(Checked(len(batch.numbers)), packed)
    out = Checked()
    rows = _member_rows(batch, out, digest)
    people = [members.pack_one(name, masked, relation, sex, born, health, schooling, labour,
                               id_hash)
              for _, name, id_hash, masked, relation, sex, born, health, schooling, labour in rows]
    return _with_packed(out, members.pack(out.lines, array("q", (row[0] for row in rows)),
                                          [row[2] for row in rows], people))


def _with_packed(out: Checked, packed: members.Packed) -> Checked:
    """``out`` with its good rows packed by household."""
    out.packed = packed
    out.rows, out.lines = [], []  # the packed form holds them
    out.villages = {f"{household // SERIAL:012d}" for household in packed.households}
    return out


def _member_rows(batch: Batch, out: Checked, digest: Any) -> list[tuple[Any, ...]]:
    """The row checks: good rows, and a line-numbered error for each bad one."""
    assert _start is not None
    index = _start.index
    i_archive, i_name, i_id = index["archive_no"], index["name"], index["id_number"]
    i_rel, i_health, i_school, i_labour = (index["relation"], index["health"],
                                           index["schooling"], index["labour"])
    relations, health, schooling, labour = (vocab.RELATION_CODES, vocab.HEALTH_CODES,
                                            vocab.SCHOOLING_CODES, vocab.LABOUR_CODES)
    name_cache = _caches[4]
    rows, lines, errors = out.rows, out.lines, out.errors
    last_archive = ""
    hid = 0
    for line, f in _records(batch, _start.path, len(index), out):
        try:
            archive = f[i_archive]
            if archive != last_archive:
                if not (len(archive) == 16 and archive.isascii() and archive.isdigit()):
                    raise ValueError("档案编号应为 16 位数字")
            name = f[i_name]
            ok = name_cache.get(name)
            if ok is None:
                ok = name_ok(name)
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
            errors.append((line, str(exc)))
            continue
        if archive != last_archive:
            last_archive = archive
            hid = int(archive)
        rows.append((hid, name, digest(number), number[:6] + "********" + number[14:], relation,
                     int(number[16]) % 2, int(number[6:10]), h, school, work))
        lines.append(line)
    return rows
