"""The engine's attack after a change (``exposure.Attacker``): a later attack starts from the
last fixed point, with the bounds that rested on a changed figure set back, and must end
exactly where an attack from the page bounds alone ends (the same bounds for every cell, the
same findings), on random registers (hypothesis) and random changes of what is published."""

from __future__ import annotations

from array import array

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunshine.stats import exposure
from sunshine.stats.disclosure import COMPLEMENT, HIDDEN, PUBLISHED, SMALL
from sunshine.stats.layout import layout
from tests.stats.auditor import Household, build, make_tree
from tests.stats.test_disclosure import registers

TREE = make_tree()
CODES = sorted(TREE.level)


def _change(data: st.DataObject, vectors: dict[str, array], status: dict[str, bytearray],
            k: int) -> None:
    """Change a few figures' statuses the way the engine's rounds do (mostly a figure hidden,
    sometimes one shown or its marker changed), always as the figure allows."""
    for _ in range(data.draw(st.integers(1, 12))):
        code = data.draw(st.sampled_from(CODES))
        cell = data.draw(st.integers(0, layout().size - 1))
        value = vectors[code][cell]
        hide = COMPLEMENT if value >= k else SMALL
        new = data.draw(st.sampled_from([hide, hide, HIDDEN, PUBLISHED]))
        status[code][cell] = new


def _same(found: exposure.Attack, fresh: exposure.Attack) -> None:
    assert np.array_equal(found.lo0, fresh.lo0) and np.array_equal(found.hi0, fresh.hi0)
    assert np.array_equal(found.lo, fresh.lo)
    assert np.array_equal(found.hi, fresh.hi)
    assert found.pinned == fresh.pinned
    assert found.few == fresh.few


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(registers(), st.sampled_from([10, 7]), st.data())
def test_an_attack_after_a_change_ends_where_an_attack_from_the_page_bounds_ends(
        register: list[Household], k: int, data: st.DataObject) -> None:
    vectors, decided = build(TREE, register, k)
    status = {code: bytearray(decided[code]) for code in TREE.level}
    attacker = exposure.Attacker(TREE.level, TREE.children, vectors, k, layout())
    attacker.attack(status)
    for _ in range(3):
        _change(data, vectors, status, k)
        fresh = exposure.Attacker(TREE.level, TREE.children, vectors, k, layout())
        _same(attacker.attack(status), fresh.attack(status))



def test_an_attack_whose_log_fills_up_ends_where_the_others_do(
        monkeypatch: pytest.MonkeyPatch) -> None:
    register = [Household(village, 1 + n % 5, 1 + n % 7, n, (2014, 2016 + n % 4, 0, 0, 0))
                for n, village in enumerate(sorted(c for c, lvl in TREE.level.items()
                                                   if lvl == 5) * 4)]
    vectors, decided = build(TREE, register, 10)
    status = {code: bytearray(decided[code]) for code in TREE.level}
    expected = exposure.Attacker(TREE.level, TREE.children, vectors, 10, layout())
    first = expected.attack(status)
    # A log with room for a few tightenings: the propagation stops, the log grows, it goes on.
    small = exposure._Log.empty
    monkeypatch.setattr(exposure._Log, "empty", staticmethod(lambda room: small(8)))
    attacker = exposure.Attacker(TREE.level, TREE.children, vectors, 10, layout())
    _same(attacker.attack(status), first)
    status[TREE.root][layout()("reg", 2020)] = COMPLEMENT
    fresh = exposure.Attacker(TREE.level, TREE.children, vectors, 10, layout())
    _same(attacker.attack(status), fresh.attack(status))
