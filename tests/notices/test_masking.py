"""The masking table of CONTRACT.md, and the cases it leaves to us (documented in masking.py)."""

import pytest

from sunshine.masking import mask_name


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张*"),
    ("张三丰", "张*丰"),
    ("欧阳小华", "欧**华"),
    ("张*明", "张*明"),  # already masked text stays masked
    ("司马相如君", "司***君"),
    ("张", "张*"),  # one character: looks like any two-character name
    ("阿依古丽·买买提", "阿******提"),  # the middle dot is hidden like a character
    (" 王 秀英 ", "王*英"),  # spaces carry nothing and do not count
    ("\U000e0100张三", "\U000e0100**"),  # not a Han character first: first kept, rest hidden
    ("\ue000明", "\ue000*"),  # private-use characters are how registers write rare Han
    ("John Smith", "J********"),
    ("ayşe", "a***"),
    ("X", "X*"),
    ("", "*"),
    ("   ", "*"),
])
def test_masking_table(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize("name", ["张三", "张三丰", "欧阳小华", "John Smith", "李", "买买提·艾力"])
def test_a_masked_name_never_contains_the_name(name: str) -> None:
    shown = mask_name(name)
    assert shown != name and "*" in shown
    assert len(name.replace(" ", "")) < 2 or name.replace(" ", "") not in shown
