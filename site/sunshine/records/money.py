"""Exact money: parsed strictly from text, stored as integer fen, handled as Decimal yuan.

SQLite has no decimal type (NUMERIC columns hold floats), so every amount is stored as a whole
number of fen in a BIGINT. Sums, comparisons and the "never more than what is left" checks then
run in exact integer arithmetic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")
#: Numeric(14, 2) in yuan: twelve digits before the point.
MAX_AMOUNT = Decimal("999999999999.99")
_AMOUNT_RE = re.compile(r"(?a)[0-9]{1,12}(?:\.[0-9]{1,2})?")


class AmountError(ValueError):
    """The text is not an acceptable amount; the message is for the person who typed it."""


def parse_amount(text: str | None, allow_zero: bool = False) -> Decimal:
    """Yuan with at most two decimals, in ASCII digits: ``12500``, ``12500.5``, ``0.01``.

    Refused with a Chinese message: empty text, signs, exponents, NaN and infinity, full-width
    or other non-ASCII digits, thousands separators, more than two decimals, more than twelve
    integer digits, and zero unless ``allow_zero``.

    :raise AmountError: for anything else.
    """
    value = (text or "").strip()
    if not value:
        raise AmountError("请填写金额")
    if value.startswith("-"):
        raise AmountError("金额不能为负数")
    if not value.isascii():
        raise AmountError("金额只能用半角数字（0-9）和小数点填写，例如 12500.00")
    if not _AMOUNT_RE.fullmatch(value):
        if re.fullmatch(r"[0-9]+\.[0-9]{3,}", value):
            raise AmountError("金额最多保留两位小数（精确到分）")
        if re.fullmatch(r"[0-9]{13,}(?:\.[0-9]*)?", value):
            raise AmountError("金额过大，最多 999999999999.99 元")
        raise AmountError("金额格式不正确：只能填写数字，最多两位小数，例如 12500.00")
    amount = Decimal(value).quantize(CENT)
    if amount == 0 and not allow_zero:
        raise AmountError("金额必须大于 0")
    return amount


def check_amount(amount: Decimal, allow_zero: bool = False) -> Decimal:
    """The same rules for a Decimal handed to a service directly.

    :raise AmountError: for NaN, infinity, a negative value, more than two decimals or too much.
    """
    try:
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise AmountError("金额格式不正确")
        if amount < 0:
            raise AmountError("金额不能为负数")
        if amount == 0 and not allow_zero:
            raise AmountError("金额必须大于 0")
        if amount != amount.quantize(CENT):
            raise AmountError("金额最多保留两位小数（精确到分）")
        if amount > MAX_AMOUNT:
            raise AmountError("金额过大，最多 999999999999.99 元")
    except InvalidOperation:
        raise AmountError("金额格式不正确") from None
    return amount.quantize(CENT)


def to_fen(amount: Decimal) -> int:
    return int(amount.quantize(CENT) * 100)


def from_fen(fen: int | None) -> Decimal:
    return (Decimal(int(fen or 0)) / 100).quantize(CENT)


def money_text(amount: Decimal | int | None) -> str:
    """"12500.00": the API's and the public record's form of an amount."""
    if amount is None:
        return "0.00"
    return str(Decimal(amount).quantize(CENT))


def fen_text(fen: int | None) -> str:
    """``money_text`` of an amount in integer fen, without a Decimal: for exports and lists of
    thousands of amounts, read with ``in_fen``."""
    if fen is None:
        return "0.00"
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"


def in_fen(column: Any) -> ColumnElement[int]:
    """A Money column read as the integer fen it stores (named as the column), for
    ``fen_text``: no Decimal is made per cell."""
    return type_coerce(column, BigInteger()).label(column.key)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """Part of whole in per cent, one decimal; None when the whole is zero."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


class Money(TypeDecorator[Decimal]):
    """A Decimal amount in yuan, stored as integer fen."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money is never a float")
        amount = Decimal(value)
        if amount != amount.quantize(CENT):
            raise ValueError("more than two decimals")
        return to_fen(amount)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_fen(value)
