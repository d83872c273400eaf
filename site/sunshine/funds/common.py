"""Small pieces shared by the funds and projects services: errors, text checks, dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app

from sunshine.accounts.permissions import check_region
from sunshine.failures import FieldError
from sunshine.forms import has_bad_characters
from sunshine.funds.money import AmountError, check_amount
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.templating import CHINA
from sunshine.workdays.services import add_days

EARLIEST = date(2000, 1, 1)


class RecordError(FieldError):
    """A business rule refused the change on a public record."""


def today() -> date:
    """The date in China, where the deadlines are counted."""
    return datetime.now(CHINA).date()


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
    from sunshine.extensions import db

    try:
        code = (code or "").strip()
        codes.level_of(code)  # exactly twelve ASCII digits
    except codes.InvalidCode:
        raise RecordError("区划代码应为 12 位数字", field) from None
    region = db.session.get(Region, code)
    if region is None:
        raise RecordError(f"区划代码 {code} 不存在", field)
    return region


def in_scope(actor: Any, region_code: str) -> None:
    """:raise PermissionDenied: outside the actor's region. ``None`` is the command line."""
    if actor is not None:
        check_region(actor, region_code)


def config_deadline(start: date, kind: str) -> date:
    """The disclosure deadline of a ``kind`` (FUNDS, PROJECTS): calendar days after ``start``,
    or working days (the working-day calendar's) when configured."""
    config = current_app.config
    return add_days(start, int(config.get(f"{kind}_DISCLOSURE_DAYS", 15)),
                    bool(config.get(f"{kind}_DISCLOSURE_WORKING_DAYS", False)))
