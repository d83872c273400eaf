"""The fast path of the row checks: a whole batch checked column by column.

A county export is almost always clean and written the same way, so a batch is first checked a
column at a time, with C-level loops (``map``, set operations, numpy for the ID numbers'
checksums), about 3× faster than the checks a row at a time in ``rowcheck``. This path only
says "every row is good, here are the rows" or "not sure": it accepts less than the row checks
(only the canonical spelling of numbers and years, no quotes, no lower-case x), never more, and
on any doubt the batch goes through the row checks, which name the line and the problem. A test
(tests/stats/test_fastcheck.py) holds both paths to the same rows.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable, Sequence
from typing import Any, TypeGuard, TypeVar

import numpy as np

from sunshine.stats import members, vocab
from sunshine.stats.csvload import Batch

_YEARS = {str(y): y for y in vocab.YEARS}
_OPTIONAL_YEARS = {"": 0, **_YEARS}
_SIZES = {str(n): n for n in range(1, 31)}
#: GB 11643: the weights of the first 17 digits, and the check character for sum mod 11.
_WEIGHTS = np.array([2 ** (17 - i) % 11 for i in range(17)], dtype=np.int64)
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def split_plain(batch: Batch, width: int) -> list[list[str]] | None:
    """The columns of a batch whose lines hold no quotes, ``width`` fields each and one line
    ending each; None otherwise. One ``split`` of the whole batch, then a slice a column."""
    text = batch.plain
    if text is None:
        text = "".join(batch.texts)
        if '"' in text:
            return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines.pop() or len(lines) != len(batch.numbers):
        return None  # a last line without its line ending, or a lone \r: the row checks
    if set(map(str.count, lines, itertools.repeat(","))) != {width - 1}:
        return None
    flat = text.replace("\n", ",").split(",")
    flat.pop()
    return [flat[i::width] for i in range(width)]


def _each(values: Sequence[str], check: Callable[[str], Any], cache: dict[str, Any],
          limit: int = 100_000) -> list[Any] | None:
    """``check`` of every value (None or ValueError = bad), computed once per distinct value
    and remembered in ``cache`` (emptied when it reaches ``limit``); None if any is bad."""
    distinct = set(values)
    if len(cache) + len(distinct) > limit:
        cache.clear()
    for value in distinct.difference(cache):
        try:
            cache[value] = check(value)
        except ValueError:
            cache[value] = None
    results = list(map(cache.__getitem__, values))
    return None if None in results else results


#: Per process: the checks' results for values that repeat (other causes, measures, cadres,
#: units, names).
_CACHES: tuple[dict[str, Any], ...] = ({}, {}, {}, {}, {})

T = TypeVar("T")


def _known(values: list[T | None]) -> TypeGuard[list[T]]:
    """Whether every lookup found its value."""
    return None not in values


def households(columns: list[list[str]], index: dict[str, int], optional: list[int],
               villages_known: frozenset[str], text_ok: Callable[[str, int], bool],
               other_causes: Callable[[str], int], part_bit: Callable[[str], int | None],
               income_ok: Callable[[str], Any]) -> list[Any] | None:
    """The columns of ``importer.HOUSEHOLD_TABLE_COLUMNS`` when every row is good, else None.
    Numbers come as ``array('q')`` (sent between processes as plain bytes), measures' and
    incomes' texts as one string (``JOIN``)."""
    archive, village = columns[index["archive_no"]], columns[index["village_code"]]
    if set(map(len, archive)) != {16} or not all(map(str.startswith, archive, village)):
        return None
    joined = "".join(archive)
    if not (joined.isascii() and joined.isdigit()) or not villages_known.issuperset(village):
        return None
    if set(map(len, village)) != {12}:
        return None
    causes = list(map(vocab.CAUSE_CODES.get, columns[index["main_cause"]]))
    sizes = list(map(_SIZES.get, columns[index["size"]]))
    entered = list(map(_YEARS.get, columns[index["entered"]]))
    if not (_known(causes) and _known(sizes) and _known(entered)):
        return None
    other_col, *event_cols = (columns[i] for i in optional[:5])
    measure_col, income_col, cadre_col, unit_col = (columns[i] for i in optional[5:])
    others = _each(other_col, other_causes, _CACHES[0])
    if others is None:
        return None
    events: list[list[int]] = []
    for col in event_cols:
        years = list(map(_OPTIONAL_YEARS.get, col))
        if not _known(years):
            return None
        events.append(years)
    histories = list(zip(entered, *events, strict=True))
    for history in set(histories):
        if vocab.check_events(*history):
            return None
    bits = _measure_bits(measure_col, part_bit)
    if bits is None or None in map(income_ok, filter(None, income_col)):
        return None
    for col, limit, cache in ((cadre_col, 40, _CACHES[2]), (unit_col, 100, _CACHES[3])):
        def fits(text: str, limit: int = limit) -> bool | None:
            return text_ok(text, limit) or None

        if _each(col, fits, cache) is None:
            return None
    return [array("q", map(int, archive)), _shared(village), array("q", causes),
            array("q", others), array("q", sizes), array("q", entered),
            *(array("q", col) for col in events), array("q", bits), JOIN.join(measure_col),
            JOIN.join(income_col), _shared(cadre_col), _shared(unit_col), [False] * len(archive)]


#: Joins a column of mostly distinct texts (measures, income) into one string, which crosses
#: between processes 3× faster than a list of them; the checks above allow no control
#: characters in them.
JOIN = "\x1f"


def _measure_bits(texts: Sequence[str], part_bit: Callable[[str], int | None]
                  ) -> list[int] | None:
    """Each measures text's bitmask when every text is empty or made of parts in the usual
    spelling (``part_bit`` gives a part's bit, None for anything else), else None. The parts
    of all distinct texts are split at once and their bits OR-ed per text by numpy."""
    distinct = list(set(texts) - {""})
    by_text: dict[str, int] = {"": 0}
    if distinct:
        if max(map(len, distinct)) > 400:
            return None
        parts = ";".join(distinct).split(";")
        bit_of = {part: part_bit(part) for part in set(parts)}
        if None in bit_of.values():
            return None
        values = np.fromiter(map(bit_of.__getitem__, parts), dtype=np.int64, count=len(parts))
        counts = np.fromiter(map(str.count, distinct, itertools.repeat(";")), dtype=np.int64,
                             count=len(distinct)) + 1
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        by_text.update(zip(distinct, np.bitwise_or.reduceat(values, starts).tolist(),
                           strict=True))
    return list(map(by_text.__getitem__, texts))


def _shared(values: Sequence[str]) -> list[str]:
    """One object per distinct value: pickle then sends each once (it remembers objects)."""
    one = {value: value for value in values}
    return list(map(one.__getitem__, values))


#: A relation's text in a packed member (``members.pack_one``), from its label in the file.
_RELATION_TEXTS = {label: str(code) for label, code in vocab.RELATION_CODES.items()}
#: The other codes are single digits, written straight into a member's fixed-width part.
_DIGIT_CODES = (vocab.HEALTH_CODES, vocab.SCHOOLING_CODES, vocab.LABOUR_CODES)
assert all(max(codes.values()) < 10 for codes in _DIGIT_CODES)
#: Ends a run of one household's members in the text of a whole batch (names hold no control
#: characters, and every other field is digits or a masked ID number).
_RUN_END = "\x1d"
_FIELD = ord(members.FIELD)


def members_packed(columns: list[list[str]], index: dict[str, int], lines: Sequence[int],
                   name_ok: Callable[[str], bool], hash_all: Callable[[list[str]], list[int]]
                   ) -> members.Packed | None:
    """The batch's members grouped by household (``members.pack``) when every row is good,
    else None.

    Each member is packed as ``members.pack_one`` packs it, but a column at a time: the
    fixed-width parts (masked ID number, sex, birth year, health, schooling, labour) are cut
    from one numpy array of bytes, and the whole batch is one ``join`` of the members' parts
    and separators, split into runs of a household (with the batch kept as one text, the
    workers' CPU on the province's members fell by ~15 % against an f-string a member).
    """
    archive, names, numbers = (columns[index["archive_no"]], columns[index["name"]],
                               columns[index["id_number"]])
    n = len(archive)
    joined = "".join(archive)
    if not n or len(joined) != 16 * n or set(map(len, archive)) != {16} or \
            not (joined.isascii() and joined.isdigit()):
        return None
    if not _all_ok(names, name_ok, _CACHES[4], 200_000):
        return None
    chars = _id_chars(numbers)
    relation = list(map(_RELATION_TEXTS.get, columns[index["relation"]]))
    codes = [list(map(texts.get, columns[index[name]])) for texts, name in zip(
        _DIGIT_CODES, ("health", "schooling", "labour"), strict=True)]
    if chars is None or not _known(relation) or any(None in column for column in codes):
        return None
    owners = (np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(n, 16) - 48
              ).astype(np.int64) @ (10 ** np.arange(15, -1, -1, dtype=np.int64))
    hashes = hash_all(numbers)
    # name F | masked F | relation | F sex F year F health F schooling F labour F | hash END
    masked = np.full((n, 20), _FIELD, dtype=np.uint8)
    masked[:, 1:19] = chars
    masked[:, 7:15] = ord("*")
    tail = np.full((n, 14), _FIELD, dtype=np.uint8)
    tail[:, 1] = 48 + (chars[:, 16] & 1)  # sex: odd 17th digit = male (ord("1") is odd)
    tail[:, 3:7] = chars[:, 6:10]
    tail[:, 8:13:2] = 48 + np.array(codes, dtype=np.uint8).T
    starts, ends = members.runs(owners)
    separators = [members.MEMBER] * n
    for end in (ends - 1).tolist():
        separators[end] = _RUN_END
    parts: list[str] = [""] * (6 * n)
    parts[0::6] = names
    parts[1::6] = _cut(masked)
    parts[2::6] = relation
    parts[3::6] = _cut(tail)
    parts[4::6] = map(str, hashes)
    parts[5::6] = separators
    texts = "".join(parts).split(_RUN_END)
    texts.pop()
    numbered = np.asarray(lines, dtype=np.int64)
    return members.from_runs(owners[starts].tolist(), numbered[starts].tolist(),
                             (ends - starts).tolist(), texts, array("q", hashes),
                             array("q", owners.tobytes()), array("q", numbered.tobytes()))


def _cut(block: np.ndarray) -> list[str]:
    """The rows of a 2-D array of ASCII bytes, as strings."""
    width = block.shape[1]
    text = block.tobytes().decode("ascii")
    return list(map(text.__getitem__, map(slice, range(0, len(text), width),
                                          range(width, len(text) + width, width))))


def _all_ok(values: Sequence[str], check: Callable[[str], bool], cache: dict[str, bool],
            limit: int) -> bool:
    """Whether ``check`` holds for every value, checking each distinct value once and
    remembering it in ``cache`` (emptied when it reaches ``limit``)."""
    distinct = set(values)
    if len(cache) + len(distinct) > limit:
        cache.clear()
    for value in distinct.difference(cache):
        cache[value] = bool(check(value))
    return all(map(cache.__getitem__, distinct))


def _id_chars(numbers: Sequence[str]) -> np.ndarray | None:
    """The ID numbers as an n × 18 array of ASCII bytes when every number is 18 characters,
    its birth date plausible and its check character right (upper-case X)."""
    joined = "".join(numbers)
    if not joined.isascii() or len(joined) != 18 * len(numbers):
        return None
    chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = chars[:, :17].astype(np.int64) - 48
    if ((digits < 0) | (digits > 9)).any():
        return None
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    if ((year < 1900) | (year > 2100) | (month < 1) | (month > 12) | (day < 1)
            | (day > 31)).any():
        return None
    if (_CHECK[(digits @ _WEIGHTS) % 11] != chars[:, 17]).any():
        return None
    return chars
