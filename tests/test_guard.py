"""The publish guard that every module uses before text goes public."""

import pytest

from sunshine.guard import (
    PersonalDataFound,
    check_publishable,
    find_personal_numbers,
    id_number_valid,
    luhn_valid,
)

VALID_ID = "11010519491231002X"  # the standard's published example, valid checksum
VALID_CARD = "6222020200112233446"  # 19 digits, passes Luhn (checked below)


def test_id_numbers_need_a_valid_checksum_and_date() -> None:
    assert id_number_valid(VALID_ID)
    assert not id_number_valid("110105194912310021")  # wrong check digit
    assert not id_number_valid("11010519491331002X")  # month 13


def test_luhn() -> None:
    assert luhn_valid(VALID_CARD)
    assert not luhn_valid("6222020200112233445")


@pytest.mark.parametrize(("text", "kinds"), [
    (f"身份证 {VALID_ID} 已核实", ["id_number"]),
    (f"身份证{VALID_ID.lower()}", ["id_number"]),
    ("电话 13812345678，或 +86 139-1234-5678", ["mobile", "mobile"]),
    (f"卡号 {VALID_CARD}", ["bank_card"]),
    ("卡号 6222 0202 0011 2233 446", ["bank_card"]),
    ("监督电话 12317，办公室 0771-2801234", []),
    ("资金 125000000 元，文号桂政发〔2019〕12号，2019年3月", []),
    ("订单号 138123456789012", []),  # 15 digits, not a phone, fails Luhn
    ("110105194912310021", []),  # bad checksum, 18 digits: neither ID nor a Luhn card
])
def test_finds_personal_numbers_and_leaves_ordinary_numbers(text: str, kinds: list[str]) -> None:
    assert [f.kind for f in find_personal_numbers(text)] == kinds


def test_refusal_carries_every_match_masked() -> None:
    with pytest.raises(PersonalDataFound) as caught:
        check_publishable("标题", f"正文 {VALID_ID} 和 13812345678")
    message = caught.value.message
    assert "身份证号" in message and "手机号" in message
    assert VALID_ID not in message and "13812345678" not in message
    check_publishable("没有号码的文字", "")
