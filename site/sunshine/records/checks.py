"""The field checks every publishing service shares: text, amounts, dates, years, regions and
the actor's region, each refusal a ``RecordError`` naming the form field to show it on."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sunshine.accounts.models import User
from sunshine.accounts.permissions import check_region
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.failures import FieldError
from sunshine.forms import has_bad_characters
from sunshine.records.money import AmountError, check_amount
from sunshine.regions import codes
from sunshine.regions.models import Region

EARLIEST = date(2000, 1, 1)


class RecordError(FieldError):
    """A business rule refused the change on a public record."""


def clean_text(value: str | None, field: str, label: str, limit: int, required: bool = True,
               multiline: bool = False) -> str:
    """:raise RecordError: empty when required, too long, or with control characters."""
    text = (value or "").strip()
    if required and not text:
        raise RecordError(f"请填写{label}", field)
    if len(text) > limit:
        raise RecordError(f"{label}不能超过 {limit} 个字符", field)
    if has_bad_characters(text, multiline):
        raise RecordError(f"{label}含有无效字符（控制字符或非 UTF-8 编码），请删除后重试", field)
    return text


def amount(value: Decimal, field: str = "amount", allow_zero: bool = False) -> Decimal:
    try:
        return check_amount(value, allow_zero)
    except AmountError as exc:
        raise RecordError(str(exc), field) from None


def check_date(value: date | None, field: str, label: str, latest: date | None = None,
               earliest: date = EARLIEST, required: bool = True) -> date | None:
    """:raise RecordError: missing when required, or outside ``earliest``..``latest``."""
    if value is None:
        if required:
            raise RecordError(f"请填写{label}（例如 2024-06-01）", field)
        return None
    latest = latest or today() + timedelta(days=366)
    if not earliest <= value <= latest:
        raise RecordError(f"{label}应在 {earliest.isoformat()} 到 {latest.isoformat()} 之间", field)
    return value


def check_year(value: int, field: str = "year") -> int:
    if not isinstance(value, int) or not 2000 <= value <= today().year + 1:
        raise RecordError(f"年度应在 2000 到 {today().year + 1} 之间", field)
    return value


def known_region(code: str, field: str = "region_code") -> Region:
    """:raise RecordError: for a malformed or unknown region code."""
    try:
        code = (code or "").strip()
        codes.level_of(code)  # exactly twelve ASCII digits
    except codes.InvalidCode:
        raise RecordError("区划代码应为 12 位数字", field) from None
    region = db.session.get(Region, code)
    if region is None:
        raise RecordError(f"区划代码 {code} 不存在", field)
    return region


def in_scope(actor: User | None, region_code: str) -> None:
    """:raise PermissionDenied: outside the actor's region. ``None`` is the command line."""
    if actor is not None:
        check_region(actor, region_code)


def parse_date(text: str, label: str) -> date:
    """A cell of an imported file: an ISO date in ASCII digits."""
    try:
        if not text.isascii():
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise RecordError(f"{label}应为 2024-06-01 这样的日期") from None


def parse_int(text: str, label: str, digits: int = 8) -> int:
    """A cell of an imported file: a whole number in ASCII digits."""
    if not (text.isascii() and text.isdigit() and len(text) <= digits):
        raise RecordError(f"{label}应为半角数字")
    return int(text)
