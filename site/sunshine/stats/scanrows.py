"""The register as the rollup scan reads it: two integers a household (``SCAN_SQL``), and
every village's work vector from them at once, in numpy.

The scan asks the database for each household's village and one integer (``SCAN_SQL``): its
*kind* (main cause, size band and event years, four bits a year: 0 = never, else year - 2013),
its measures (10 bits) and its size (5 bits). Households of one kind add to the same work
cells. Two small columns a row: reading rows is half of the scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sunshine.stats import vocab
from sunshine.stats.vectors import SERIAL, WORK, Cells, Outcome, Parts, finish, part_a, part_b

_YEAR_BASE = vocab.FIRST_YEAR - 1


def _year_sql(column: str) -> str:
    return f"(CASE WHEN {column} > 0 THEN {column} - {_YEAR_BASE} ELSE 0 END)"


KIND_SQL = ("(CAST(main_cause AS BIGINT) * 8388608"
            " + (CASE WHEN size >= 5 THEN 4 ELSE size - 1 END) * 1048576"
            f" + {_year_sql('entered')} * 65536 + {_year_sql('exited')} * 4096"
            f" + {_year_sql('returned')} * 256 + {_year_sql('reexited')} * 16"
            f" + {_year_sql('removed')})")


SCAN_SQL = (f"SELECT id / {SERIAL}, ({KIND_SQL} * 1024 + measures) * 32 + size FROM household "
            "WHERE id BETWEEN ? AND ?")


def scan_row(archive: int, cause: int, size: int, measures: int, entered: int, exited: int,
             returned: int, reexited: int, removed: int) -> tuple[int, int]:
    """What ``SCAN_SQL`` gives for a household, in Python (for tests)."""
    code = cause * 8 + min(size, 5) - 1
    for year in (entered, exited, returned, reexited, removed):
        code = code * 16 + (year - _YEAR_BASE if year else 0)
    return archive // SERIAL, (code * 1024 + measures) * 32 + size


def scan_rows(ids: Any, causes: Any, sizes: Any, years: Sequence[Any], measures: Any
              ) -> np.ndarray:
    """What ``SCAN_SQL`` gives for these households (an n × 2 int64 array), from their
    columns (anything numpy takes as int64; ``years``: entered, exited, returned, reexited,
    removed). An import into an empty register has them in hand, so the rollup that follows
    need not read the register back."""
    size = np.asarray(sizes, dtype=np.int64)
    code = np.asarray(causes, dtype=np.int64) * 8 + np.minimum(size, 5) - 1
    for column in years:
        year = np.asarray(column, dtype=np.int64)
        code = code * 16 + np.where(year > 0, year - _YEAR_BASE, 0)
    out = np.empty((len(size), 2), dtype=np.int64)
    out[:, 0] = np.asarray(ids, dtype=np.int64) // SERIAL
    out[:, 1] = (code * 1024 + np.asarray(measures, dtype=np.int64)) * 32 + size
    return out


def _kind_key(code: int) -> tuple[int, ...]:
    """``part_a``'s arguments back from a kind code."""
    years = []
    for _ in range(5):
        code, year = divmod(code, 16)
        years.append(year + _YEAR_BASE if year else 0)
    cause, band = divmod(code, 8)
    return (cause, band, *reversed(years))


def village_vectors(rows: Iterable[tuple[Any, ...]]) -> dict[str, bytes]:
    """Each village's stored vector, packed (``pack``), from ``SCAN_SQL``'s rows: what the
    scan computes."""
    return packed_vectors(*village_works(rows))


def packed_vectors(codes_: list[str], works: np.ndarray) -> dict[str, bytes]:
    """Each village's stored vector, packed, from its work vector."""
    vectors = finish_all(works).astype("<i4")
    return {code: row.tobytes() for code, row in zip(codes_, vectors, strict=True)}


def finish_all(works: np.ndarray) -> np.ndarray:
    """``finish`` of each row of ``works`` at once. ``finish`` is linear (running sums, copies
    and differences), so it is one product with the matrix whose rows are the finished unit
    work vectors (in floating point: exact for counts this size, and fast)."""
    if not _FINISH_MATRIX:
        unit = np.eye(WORK.size, dtype=np.int64).tolist()
        _FINISH_MATRIX.append(np.array([finish(row) for row in unit], dtype=np.float64))
    return np.rint(works.astype(np.float64) @ _FINISH_MATRIX[0]).astype(np.int64)


_FINISH_MATRIX: list[np.ndarray] = []


def village_works(rows: Iterable[tuple[Any, ...]]) -> tuple[list[str], np.ndarray]:
    """The work vector of each village (its code, a row of the matrix) from ``SCAN_SQL``'s
    rows.

    Done with arrays rather than a loop per household: households of one kind (``KIND_SQL``)
    add to the same work cells (``part_a``), households with the same measures and outcome
    too (``part_b``); the cells of all households are laid out in one array and summed per
    village by ``numpy.bincount``, ~3× faster than adding them up one household at a time
    (``accumulate``, which tests keep as the reference).
    """
    return village_works_of(np.array(list(rows), dtype=np.int64).reshape(-1, 2))


def village_works_of(data: np.ndarray) -> tuple[list[str], np.ndarray]:
    """``village_works`` of ``SCAN_SQL``'s rows already in an array (n × 2, int64).

    The cells of a kind are laid out as one padded row (``_padded``; a spare work cell past the
    end takes the padding), so a household's cells are one gather with no per-household
    lengths, and each kind of increment (+1, + size, −1) is its own ``bincount``."""
    if not len(data):
        return [], np.zeros((0, WORK.size), dtype=np.int64)
    villages, village = np.unique(data[:, 0], return_inverse=True)
    size, measures = data[:, 1] % 32, data[:, 1] // 32 % 1024
    kinds, kind = _number(data[:, 1] // 32768)
    parts = [_kind_part(int(code)) for code in kinds.tolist()]
    outcome = np.array([_OUTCOMES.setdefault(p[3], len(_OUTCOMES)) for p in parts],
                       dtype=np.int64)[kind]
    assert len(_OUTCOMES) <= 64
    set_key = measures * 64 + outcome  # < 65,536: numbered with a table, not a sort
    present = np.flatnonzero(np.bincount(set_key, minlength=1024 * 64))
    number = np.zeros(1024 * 64, dtype=np.int64)
    number[present] = np.arange(len(present))
    set_of = number[set_key]
    by_outcome = {n: key for key, n in _OUTCOMES.items()}
    measure_cells = [_measure_part(code // 64, by_outcome[code % 64]) if code >= 64 else ()
                     for code in present.tolist()]
    width = WORK.size + 1  # the last cell takes the padding
    cells = len(villages) * width
    base = village.reshape(-1, 1) * width

    def spread(lists: list[tuple[int, ...]], ids: np.ndarray) -> np.ndarray:
        return (base + _padded(lists, WORK.size)[ids]).ravel()

    plus = np.bincount(spread([p[0] for p in parts], kind), minlength=cells)
    minus = np.bincount(spread([p[2] for p in parts], kind), minlength=cells)
    people_cells = spread([p[1] for p in parts], kind)
    people = np.bincount(people_cells, minlength=cells,
                         weights=np.repeat(size, len(people_cells) // len(size)))
    flat, rows_of = _expand(measure_cells, set_of)
    helped = np.bincount(base[rows_of, 0] + flat, minlength=cells)
    totals = plus - minus + helped + np.rint(people).astype(np.int64)
    works = totals.reshape(len(villages), width)[:, :WORK.size]
    return [f"{v:012d}" for v in villages.tolist()], np.ascontiguousarray(works)


def _measure_part(measures: int, outcome: Outcome) -> Cells:
    """``part_b``, remembered."""
    cells = _MEASURE_PARTS.get((measures, outcome))
    if cells is None:
        cells = part_b(measures, outcome)
        if len(_MEASURE_PARTS) < 100_000:
            _MEASURE_PARTS[measures, outcome] = cells
    return cells


_MEASURE_PARTS: dict[tuple[int, Outcome], Cells] = {}


def _number(kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.unique(kinds, return_inverse=True)`` without sorting (a sort of every household
    was a fifth of the sums): a kind is its cause and size band over its event years (20
    bits), and each part is numbered through a table of the values present."""
    if not len(kinds) or kinds.min() < 0 or kinds.max() >= 1 << 27:
        return np.unique(kinds, return_inverse=True)  # pragma: no cover  (not a kind code)
    years = kinds & 0xFFFFF
    seen_years = np.flatnonzero(np.bincount(years, minlength=1 << 20))
    table = np.zeros(1 << 20, dtype=np.int64)
    table[seen_years] = np.arange(len(seen_years))
    pair = (kinds >> 20) * len(seen_years) + table[years]
    seen = np.flatnonzero(np.bincount(pair))
    number = np.zeros(int(seen[-1]) + 1, dtype=np.int64)
    number[seen] = np.arange(len(seen))
    values = (seen // len(seen_years)) << 20 | seen_years[seen % len(seen_years)]
    return values, number[pair]


def _padded(lists: list[tuple[int, ...]], pad: int) -> np.ndarray:
    """``lists`` as the rows of one array, short rows padded with ``pad``."""
    longest = max((len(cells) for cells in lists), default=0)
    table = np.full((len(lists), max(1, longest)), pad, dtype=np.int64)
    for row, cells in enumerate(lists):
        table[row, :len(cells)] = cells
    return table


#: Effect outcomes (``part_a``'s last item) numbered, for the measures' keys.
_OUTCOMES: dict[Outcome, int] = {}


_KIND_PARTS: dict[int, Parts] = {}


def _kind_part(code: int) -> Parts:
    part = _KIND_PARTS.get(code)
    if part is None:
        part = _KIND_PARTS[code] = part_a(*_kind_key(code))
    return part


def _expand(lists: list[tuple[int, ...]], ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells of ``lists[id]`` for each id in turn, and for each cell its id's position."""
    lengths = np.array([len(cells) for cells in lists], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    flat_cells = np.array([i for cells in lists for i in cells], dtype=np.int64)
    counts = lengths[ids]
    rows_of = np.repeat(np.arange(len(ids)), counts)
    ends = np.cumsum(counts)
    within = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - counts, counts)
    return flat_cells[starts[ids][rows_of] + within], rows_of
