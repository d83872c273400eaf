"""Exact money: strict parsing with Chinese messages, checks of Decimals handed to services,
and the column type that stores integer fen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.dialects import sqlite

from sunshine.records.money import (
    AmountError,
    Money,
    check_amount,
    fen_text,
    from_fen,
    in_fen,
    money_text,
    parse_amount,
    percent,
    to_fen,
)


@pytest.mark.parametrize(("text_", "message"), [
    ("-5", "负数"), ("0", "大于 0"), ("0.00", "大于 0"), ("1e309", "格式"), ("NaN", "格式"),
    ("inf", "格式"), ("１００", "半角"), ("1.123456789012", "两位小数"), ("1,000", "格式"),
    ("", "请填写"), ("   ", "请填写"), ("1234567890123", "过大"), ("12.", "格式"), (".5", "格式"),
    ("+5", "格式"), ("0x10", "格式"), ("5 000", "格式"), ("٣", "半角"),
])
def test_amounts_are_parsed_strictly_with_chinese_messages(text_: str, message: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text_)
    assert message in str(caught.value)


def test_good_amounts_are_exact_decimals() -> None:
    assert parse_amount("12500") == Decimal("12500.00")
    assert parse_amount(" 0.01 ") == Decimal("0.01")
    assert parse_amount("999999999999.99") == Decimal("999999999999.99")
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")
    for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("-1"), Decimal("0.001"),
                Decimal("1e13")):
        with pytest.raises(AmountError):
            check_amount(bad)


def test_fen_and_text_forms_are_exact() -> None:
    assert to_fen(Decimal("12500.05")) == 1_250_005
    assert from_fen(1_250_005) == Decimal("12500.05") and from_fen(None) == Decimal("0.00")
    assert money_text(Decimal("3")) == "3.00" and money_text(None) == "0.00"
    assert percent(Decimal(1), Decimal(3)) == Decimal("33.3")
    assert percent(Decimal(1), Decimal(0)) is None


def test_the_column_type_refuses_floats_and_fractions_of_a_fen() -> None:
    money, dialect = Money(), sqlite.dialect()
    assert money.process_bind_param(Decimal("1.5"), dialect) == 150
    assert money.process_result_value(150, dialect) == Decimal("1.50")
    with pytest.raises(TypeError):
        money.process_bind_param(0.1, dialect)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        money.process_bind_param(Decimal("0.001"), dialect)


def test_fen_text_writes_what_money_text_writes() -> None:
    for fen in (0, 1, 9, 10, 99, 100, 101, 1_250_005, 99_999_999_999_999, -1, -150):
        assert fen_text(fen) == money_text(from_fen(fen)), fen
    assert fen_text(None) == "0.00"


def test_in_fen_reads_the_stored_integer() -> None:
    from sqlalchemy import Column, MetaData, Table, select

    table = Table("t", MetaData(), Column("amount", Money()))
    column = in_fen(table.c.amount)
    assert column.key == "amount" and column.type.python_type is int
    sql = str(select(column).compile(dialect=sqlite.dialect()))
    assert sql.startswith("SELECT t.amount AS amount") and "CAST" not in sql  # no conversion
