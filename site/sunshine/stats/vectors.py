"""One household's contribution to its village's counts: a working vector filled row by
row during the scan, finished into the published layout (``layout.py``) once per village."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

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

Cells = tuple[int, ...]
#: Whether a household is on the register at the end, whether it is in the effect analysis,
#: how soon it exited (one of ``OUTCOMES``) and whether it returned to poverty.
Outcome = tuple[bool, bool, str, bool]
#: ``part_a``: cells to add 1 to, cells to add the household's size to, cells to take 1 from.
Parts = tuple[Cells, Cells, Cells, Outcome]

_PART_A: dict[tuple[int, ...], Parts] = {}
_PART_B: dict[tuple[int, Outcome], Cells] = {}


def part_a(cause: int, band: int, entered: int, exited: int, returned: int, reexited: int,
            removed: int) -> Parts:
    """Work cells the household adds 1 to, those it adds its size to, and the cells it takes
    -1 from; and, for ``part_b``, its effect outcome, as a key."""
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
                                                    bool(returned))


def part_b(measures: int, outcome: Outcome) -> Cells:
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
        a = part_a(*key)
        _PART_A[key] = a
    plus, people, minus, outcome = a
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
            b = part_b(measures, outcome)
            if len(_PART_B) < 100_000:
                _PART_B[b_key] = b
        for i in b:
            work[i] += 1


class _FinishPlan(NamedTuple):
    """Where ``finish`` reads the work vector and writes the stored one."""

    #: Per year: the flows' work cells, the stock and flow cells written, then the exit and
    #: return cells (None in the first year, which has neither).
    years: list[tuple[Cells, Cells, int | None, int | None]]
    causes: list[tuple[list[int], list[int]]]
    copies: list[tuple[int, int]]
    effects: list[tuple[list[int], int, list[int]]]


_FINISH: list[_FinishPlan] = []


def _finish_plan() -> _FinishPlan:
    lay = layout()
    w = WORK.index
    years: list[tuple[Cells, Cells, int | None, int | None]] = []
    for y in vocab.YEARS:
        years.append((tuple(w[name, y] for name in ("ent", "ent_p", "exit", "exit_p", "ret",
                                                       "ret_p", "rem", "rem_p")),
                      (lay("reg", y), lay("reg_p", y), lay("poor", y), lay("poor_p", y),
                       lay("ent", y), lay("rem", y)),
                      lay.get("exit", y), lay.get("ret", y)))
    causes = [([w["net_c", c, y] for y in vocab.YEARS], [lay("poor_cy", c, y) for y in vocab.YEARS])
              for c in range(1, len(vocab.CAUSES) + 1)]
    copies = [(w[key], lay(*key)) for key in w if key[0] in ("reg_c", "reg_s", "reg_sp",
                                                              "poor_s", "helped", "ret_all")]
    effects = [([w["out", o, *g] for o in OUTCOMES], w["rb", *g],
                [lay("eff", m, *g) for m in ("base", "x1", "x2", "x3", "xever", "rb")])
               for g in EFFECT_GROUPS]
    return _FinishPlan(years, causes, copies, effects)


def finish(work: Sequence[int]) -> array:
    """The stored vector of a village from its work vector."""
    if not _FINISH:
        _FINISH.append(_finish_plan())
    years, causes, copies, effects = _FINISH[0]
    vector = array("i", bytes(4 * layout().size))
    reg = reg_p = poor = poor_p = 0
    for ((w_ent, w_ent_p, w_exit, w_exit_p, w_ret, w_ret_p, w_rem, w_rem_p),
         (v_reg, v_reg_p, v_poor, v_poor_p, v_ent, v_rem), v_exit, v_ret) in years:
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
                (plus, big), (minus, small) = spec.derived
                assert plus == 1 and minus == -1
                _DERIVED.append((i, lay.index[big], lay.index[small]))
    for i, a, b in _DERIVED:
        vector[i] = vector[a] - vector[b]
