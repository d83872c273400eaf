"""Villages are summed from flows and running sums; the result must equal counting each
household's status year by year, the slow obvious way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sunshine.stats import vocab
from sunshine.stats.layout import layout
from sunshine.stats.scanrows import finish_all, scan_row, village_works
from sunshine.stats.vectors import SERIAL, WORK, accumulate, finish
from tests.conftest import COUNTY_PREFIX, SAMPLE
from tests.stats.auditor import expected_vector, village_vectors
from tests.stats.test_disclosure import households


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.lists(households(SAMPLE["village"]), max_size=60))
def test_running_sums_equal_counting_each_year(register) -> None:
    got = village_vectors(register).get(SAMPLE["village"])
    want = expected_vector(register)
    if got is None:
        assert not any(want)
        return
    lay = layout()
    diff = [lay.cells[i].key for i in range(lay.size) if got[i] != want[i]]
    assert not diff, diff[:10]


def test_every_relation_holds_for_a_village() -> None:
    from tests.stats.auditor import Household
    from tests.stats.conftest import make_register

    register = [Household(h.village, vocab.CAUSE_CODES[h.cause], h.size,
                          sum(1 << vocab.MEASURE_BITS[m] for m in h.measures), h.events)
                for h in make_register(80, villages=[SAMPLE["village"]])]
    vector = village_vectors(register)[SAMPLE["village"]]
    for lhs, rhs in layout().relations:
        assert sum(vector[i] for i in lhs) == sum(vector[i] for i in rhs), (
            [layout().cells[i].key for i in lhs], [layout().cells[i].key for i in rhs])


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(households(SAMPLE["village"]), households(f"{COUNTY_PREFIX}101202")),
                max_size=80))
def test_the_scan_in_arrays_adds_up_as_one_household_at_a_time(register) -> None:
    """The scan's arrays (``village_works``, ``finish_all``) give every village the vectors
    that ``accumulate`` and ``finish`` build one household and one village at a time."""
    serial = {SAMPLE["village"]: 0, f"{COUNTY_PREFIX}101202": 0}
    rows = []
    for h in register:
        serial[h.village] += 1
        rows.append(scan_row(int(h.village) * SERIAL + serial[h.village], h.cause, h.size,
                             h.measures, *h.events))
    want: dict[str, list[int]] = {}
    for h in register:
        accumulate(want.setdefault(h.village, [0] * WORK.size), h.cause, h.size, h.measures,
                   *h.events)
    codes, works = village_works(rows)
    assert dict(zip(codes, works.tolist(), strict=True)) == want
    finished = finish_all(works).tolist()
    assert finished == [list(finish(want[code])) for code in codes]
