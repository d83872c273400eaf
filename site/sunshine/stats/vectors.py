"""One household's contribution to its village's counts: a working vector filled row by
row during the scan, finished into the published layout (``layout.py``) once per village."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sunshine.regions import codes
from sunshine.stats import vocab
from sunshine.stats.layout import EFFECT_GROUPS, EFFECT_LAST_COHORT, layout

SERIAL = 10_000  # archive number = village code × SERIAL + serial


def village_range(code: str) -> tuple[int, int]:
    """Archive numbers of every household in the region's subtree (inclusive)."""
    lo, hi = codes.subtree_bounds(code)
    return int(lo) * SERIAL, int(hi) * SERIAL + SERIAL - 1


def pack(vector: Sequence[int]) -> bytes:
    data = array("i", vector)
    if sys.byteorder != "little":  # pragma: no cover
        data.byteswap()
    return data.tobytes()


def unpack(blob: bytes) -> array:
    data = array("i")
    data.frombytes(blob)
    if sys.byteorder != "little":  # pragma: no cover
        data.byteswap()
    return data


#
# A village is summed in a small "work" vector of flows (who entered, exited, returned or was
# removed each year; the main cause's net change; effect outcomes), about 19 increments a
# household, then turned into the stored vector by running sums (``finish``): stocks such as
# households in poverty at the end of each year are running sums of the flows.

OUTCOMES = ("never", "w1", "w2", "w3", "later")


@dataclass
class WorkLayout:
    index: dict[tuple[object, ...], int]
    size: int


def _work_layout() -> WorkLayout:
    index: dict[tuple[object, ...], int] = {}

    def add(*key: object) -> None:
        index[key] = len(index)

    for y in vocab.YEARS:
        for name in ("ent", "ent_p", "exit", "exit_p", "ret", "ret_p", "rem", "rem_p"):
            add(name, y)
    for c in range(1, len(vocab.CAUSES) + 1):
        for y in vocab.YEARS:
            add("net_c", c, y)
        add("reg_c", c)
    for s in range(len(vocab.SIZE_BANDS)):
        add("reg_s", s)
        add("reg_sp", s)
        add("poor_s", s)
    for m in range(len(vocab.MEASURES)):
        add("helped", m)
    add("ret_all")
    for g in EFFECT_GROUPS:
        for outcome in OUTCOMES:
            add("out", outcome, *g)
        add("rb", *g)
    return WorkLayout(index, len(index))


WORK = _work_layout()
_PART_A: dict[tuple[int, ...], tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {}
_PART_B: dict[tuple[object, ...], tuple[int, ...]] = {}


def _part_a(cause: int, band: int, entered: int, exited: int, returned: int, reexited: int,
            removed: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Work cells the household adds 1 to, those it adds its size to, and the cells it takes
    -1 from; and, for ``_part_b``, its effect outcome, as a key."""
    w = WORK.index
    plus: list[int] = [w["ent", entered], w["net_c", cause, entered]]
    people: list[int] = [w["ent_p", entered]]
    minus: list[int] = []
    for year in (exited, reexited):
        if year:
            plus.append(w["exit", year])
            people.append(w["exit_p", year])
            minus.append(w["net_c", cause, year])
    if returned:
        plus += [w["ret", returned], w["net_c", cause, returned], w["ret_all",]]
        people.append(w["ret_p", returned])
    if removed:
        plus.append(w["rem", removed])
        people.append(w["rem_p", removed])
        minus.append(w["net_c", cause, removed])
    events = (entered, exited, returned, reexited, removed)
    final = vocab.status_in(vocab.LAST_YEAR, *events)
    on_register = final is not None and final != vocab.REMOVED
    if on_register:
        plus += [w["reg_c", cause], w["reg_s", band]]
        people.append(w["reg_sp", band])
        if final in vocab.IN_POVERTY:
            plus.append(w["poor_s", band])
    eligible = not removed and entered <= EFFECT_LAST_COHORT
    outcome = "never"
    if exited:
        took = exited - entered
        outcome = "w1" if took <= 1 else "w2" if took == 2 else "w3" if took == 3 else "later"
    if eligible:
        for g in (("all", 0), ("cause", cause)):
            plus.append(w["out", outcome, *g])
            if returned:
                plus.append(w["rb", *g])
    return tuple(plus), tuple(people), tuple(minus), (on_register, eligible, outcome,
                                                    bool(returned))  # type: ignore[return-value]


def _part_b(measures: int, outcome: tuple[object, ...]) -> tuple[int, ...]:
    """Work cells for the measures a household received."""
    w = WORK.index
    on_register, eligible, bucket, returned = outcome
    cells: list[int] = []
    for m in range(len(vocab.MEASURES)):
        if measures >> m & 1:
            if on_register:
                cells.append(w["helped", m])
            if eligible:
                cells.append(w["out", bucket, "measure", m])
                if returned:
                    cells.append(w["rb", "measure", m])
    return tuple(cells)


def accumulate(work: list[int], cause: int, size: int, measures: int, entered: int,
               exited: int, returned: int, reexited: int, removed: int) -> None:
    """Add one household to a village's work vector."""
    key = (cause, min(size, 5) - 1, entered, exited, returned, reexited, removed)
    a = _PART_A.get(key)
    if a is None:
        a = _part_a(*key)
        _PART_A[key] = a
    plus, people, minus, outcome = a  # type: ignore[misc]
    for i in plus:
        work[i] += 1
    for i in people:
        work[i] += size
    for i in minus:
        work[i] -= 1
    if measures:
        b_key = (measures, outcome)
        b = _PART_B.get(b_key)
        if b is None:
            b = _part_b(measures, outcome)
            if len(_PART_B) < 100_000:
                _PART_B[b_key] = b
        for i in b:
            work[i] += 1


_FINISH: list[object] = []


def _finish_plan() -> tuple[object, ...]:
    lay = layout()
    w = WORK.index
    years = []
    for y in vocab.YEARS:
        years.append(tuple(w[name, y] for name in ("ent", "ent_p", "exit", "exit_p", "ret",
                                                      "ret_p", "rem", "rem_p"))
                     + (lay("reg", y), lay("reg_p", y), lay("poor", y), lay("poor_p", y),
                        lay("ent", y), lay.get("exit", y), lay.get("ret", y), lay("rem", y)))
    causes = [([w["net_c", c, y] for y in vocab.YEARS],
               [lay("poor_cy", c, y) for y in vocab.YEARS]) for c in range(1, len(vocab.CAUSES) + 1)]
    copies = [(w[key], lay(*key)) for key in w if key[0] in ("reg_c", "reg_s", "reg_sp",
                                                              "poor_s", "helped", "ret_all")]
    effects = [([w["out", o, *g] for o in OUTCOMES], w["rb", *g],
                [lay("eff", m, *g) for m in ("base", "x1", "x2", "x3", "xever", "rb")])
               for g in EFFECT_GROUPS]
    return tuple(years), causes, copies, effects


def finish(work: Sequence[int]) -> array:
    """The stored vector of a village from its work vector."""
    if not _FINISH:
        _FINISH.append(_finish_plan())
    years, causes, copies, effects = _FINISH[0]  # type: ignore[misc]
    vector = array("i", bytes(4 * layout().size))
    reg = reg_p = poor = poor_p = 0
    for (w_ent, w_ent_p, w_exit, w_exit_p, w_ret, w_ret_p, w_rem, w_rem_p,
         v_reg, v_reg_p, v_poor, v_poor_p, v_ent, v_exit, v_ret, v_rem) in years:
        ent, exits, ret, rem = work[w_ent], work[w_exit], work[w_ret], work[w_rem]
        reg += ent - rem
        reg_p += work[w_ent_p] - work[w_rem_p]
        poor += ent + ret - exits - rem
        poor_p += work[w_ent_p] + work[w_ret_p] - work[w_exit_p] - work[w_rem_p]
        vector[v_reg], vector[v_reg_p], vector[v_poor], vector[v_poor_p] = reg, reg_p, poor, poor_p
        vector[v_ent], vector[v_rem] = ent, rem
        if v_exit is not None:
            vector[v_exit] = exits
        if v_ret is not None:
            vector[v_ret] = ret
    for nets, cells in causes:
        total = 0
        for w_i, v_i in zip(nets, cells, strict=True):
            total += work[w_i]
            vector[v_i] = total
    for w_i, v_i in copies:
        vector[v_i] = work[w_i]
    for outcomes, w_rb, (base, x1, x2, x3, xever, rb) in effects:
        never, w1, w2, w3, later = (work[i] for i in outcomes)
        vector[base] = never + w1 + w2 + w3 + later
        vector[x1], vector[x2], vector[x3] = w1, w1 + w2, w1 + w2 + w3
        vector[xever] = w1 + w2 + w3 + later
        vector[rb] = work[w_rb]
    fill_derived(vector)
    return vector


_DERIVED: list[tuple[int, int, int]] = []


def fill_derived(vector: array | list[int]) -> None:
    """Hidden cells that are differences of others (``exs`` = ``reg`` − ``poor`` ...)."""
    if not _DERIVED:
        lay = layout()
        for i, spec in enumerate(lay.cells):
            if spec.derived:
                (plus, a), (minus, b) = spec.derived
                assert plus == 1 and minus == -1
                _DERIVED.append((i, lay.index[a], lay.index[b]))
    for i, a, b in _DERIVED:
        vector[i] = vector[a] - vector[b]


#
# The scan asks the database for each household's village and one integer (``SCAN_SQL``):
# its *kind* (main cause, size band and event years, four bits a year: 0 = never, else
# year - 2013), its measures (10 bits) and its size (5 bits). Households of one kind add to the
# same work cells. Two small columns a row: reading rows is half of the scan.

_YEAR_BASE = vocab.FIRST_YEAR - 1


def _year_sql(column: str) -> str:
    return f"(CASE WHEN {column} > 0 THEN {column} - {_YEAR_BASE} ELSE 0 END)"


KIND_SQL = ("(CAST(main_cause AS BIGINT) * 8388608 + (CASE WHEN size >= 5 THEN 4 ELSE size - 1 END) * 1048576"
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
    """``_part_a``'s arguments back from a kind code."""
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
    add to the same work cells (``_part_a``), households with the same measures and outcome
    too (``_part_b``); the cells of all households are laid out in one array and summed per
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


def _measure_part(measures: int, outcome: tuple[object, ...]) -> tuple[int, ...]:
    """``_part_b``, remembered (as ``accumulate`` does)."""
    cells = _PART_B.get((measures, outcome))
    if cells is None:
        cells = _part_b(measures, outcome)
        if len(_PART_B) < 100_000:
            _PART_B[measures, outcome] = cells
    return cells


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


#: Effect outcomes (``_part_a``'s last item) numbered, for the measures' keys.
_OUTCOMES: dict[tuple[object, ...], int] = {}


_KIND_PARTS: dict[int, tuple[Any, ...]] = {}


def _kind_part(code: int) -> tuple[Any, ...]:
    part = _KIND_PARTS.get(code)
    if part is None:
        part = _KIND_PARTS[code] = _part_a(*_kind_key(code))  # type: ignore[arg-type]
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
