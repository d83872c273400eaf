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
from typing import Any

import numpy as np

from sunshine.stats import vocab

_YEARS = {str(y): y for y in vocab.YEARS}
_OPTIONAL_YEARS = {"": 0, **_YEARS}
_SIZES = {str(n): n for n in range(1, 31)}
#: GB 11643: the weights of the first 17 digits, and the check character for sum mod 11.
_WEIGHTS = np.array([2 ** (17 - i) % 11 for i in range(17)], dtype=np.int64)
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def split_plain(texts: Sequence[str], width: int) -> list[list[str]] | None:
    """The columns of lines without quotes, each line ``width`` fields and one line ending;
    None otherwise. One ``split`` of the whole batch, then a slice a column."""
    n = len(texts)
    joined = "".join(texts)
    if '"' in joined or joined.count("\n") != n:
        return None  # quotes, or a last line without its line ending: the row checks
    if set(map(str.count, texts, itertools.repeat(","))) != {width - 1}:
        return None
    flat = joined.replace("\r\n", "\n").replace("\n", ",").split(",")
    return [flat[i:n * width:width] for i in range(width)]


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
    if None in causes or None in sizes or None in entered:
        return None
    other_col, *event_cols = (columns[i] for i in optional[:5])
    measure_col, income_col, cadre_col, unit_col = (columns[i] for i in optional[5:])
    others = _each(other_col, other_causes, _CACHES[0])
    events = [list(map(_OPTIONAL_YEARS.get, col)) for col in event_cols]
    if others is None or any(None in col for col in events):
        return None
    histories = list(zip(entered, *events, strict=True))
    for history in set(histories):
        if vocab.check_events(*history):
            return None
    bits = _measure_bits(measure_col, part_bit)
    if bits is None or None in map(income_ok, filter(None, income_col)):
        return None
    for col, limit, cache in ((cadre_col, 40, _CACHES[2]), (unit_col, 100, _CACHES[3])):
        if _each(col, lambda text, n=limit: text_ok(text, n) or None, cache) is None:
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
        by_text.update(zip(distinct, np.bitwise_or.reduceat(values, starts).tolist()))
    return list(map(by_text.__getitem__, texts))


def _shared(values: Sequence[str]) -> list[str]:
    """One object per distinct value: pickle then sends each once (it remembers objects)."""
    one = {value: value for value in values}
    return list(map(one.__getitem__, values))


#: A code's text in a packed member (``members.pack``), from its label in the file.
_CODE_TEXTS = tuple({label: str(code) for label, code in codes.items()} for codes in (
    vocab.RELATION_CODES, vocab.HEALTH_CODES, vocab.SCHOOLING_CODES, vocab.LABOUR_CODES))
#: Sex from the 17th digit of an ID number (odd: male).
_SEX_OF_DIGIT = {str(d): str(d % 2) for d in range(10)}


def members(columns: list[list[str]], index: dict[str, int], name_ok: Callable[[str], bool],
            hash_all: Callable[[list[str]], list[int]]) -> list[Any] | None:
    """Members' columns when every row is good, else None: the households (``array('q')``),
    the ID hashes (ints), and each member packed (``members.pack_one``, in one f-string)."""
    archive, names, numbers = (columns[index["archive_no"]], columns[index["name"]],
                               columns[index["id_number"]])
    joined = "".join(archive)
    if set(map(len, archive)) != {16} or not (joined.isascii() and joined.isdigit()):
        return None
    if _each(names, lambda name: name_ok(name) or None, _CACHES[4], 200_000) is None:
        return None
    if _id_digits(numbers) is None:
        return None
    relation, health, schooling, labour = (
        list(map(texts.get, columns[index[name]])) for texts, name in zip(
            _CODE_TEXTS, ("relation", "health", "schooling", "labour"), strict=True))
    if None in relation or None in health or None in schooling or None in labour:
        return None
    households = {a: int(a) for a in set(archive)}
    hashes = hash_all(numbers)
    sex = _SEX_OF_DIGIT
    people = [f"{name}\x1f{n[:6]}********{n[14:]}\x1f{r}\x1f{sex[n[16]]}\x1f{n[6:10]}\x1f{h}"
              f"\x1f{s}\x1f{w}\x1f{x}" for name, n, r, h, s, w, x in zip(
                  names, numbers, relation, health, schooling, labour, hashes)]
    return [array("q", map(households.__getitem__, archive)), hashes, people]


def _id_digits(numbers: Sequence[str]) -> np.ndarray | None:
    """The 17 leading digits of each ID number (an n × 17 array) when every number is 18
    characters, its birth date plausible and its check character right (upper-case X)."""
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
    return digits
