"""Form fields every publishing feature shares: amounts parsed strictly, years, dates, region
codes, and the reason asked for a correction or a withdrawal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import DateField, StringField
from wtforms.validators import Optional, Regexp, StopValidation

from sunshine.forms import BaseForm, length, required
from sunshine.records.money import AmountError, parse_amount

DATE_HINT = "格式：2024-06-01"


class AmountField(StringField):
    """Yuan as text, parsed strictly (ASCII digits, at most two decimals); ``.amount`` holds
    the Decimal after validation."""

    amount: Decimal | None = None

    def pre_validate(self, form: Any) -> None:
        try:
            self.amount = parse_amount(self.data)
        except AmountError as exc:
            self.amount = None
            raise StopValidation(str(exc)) from None

    @property
    def valid_amount(self) -> Decimal:
        """``amount`` once the form has validated (None only in a field it refused)."""
        assert self.amount is not None
        return self.amount


def year_field(label: str = "年度") -> StringField:
    return StringField(label, validators=[required("请填写年度"), Regexp(
        r"(?a)^[0-9]{4}$", message="年度应为 4 位半角数字，例如 2020")])


def date_field(label: str, optional: bool = False) -> DateField:
    validators = [Optional()] if optional else [required(f"请填写{label}（例如 2024-06-01）")]
    return DateField(label, validators=validators, description=DATE_HINT)


REGION = [required("请填写区划代码"),
          Regexp(r"(?a)^[0-9]{12}$", message="区划代码应为 12 位半角数字")]


class ReasonForm(BaseForm):
    reason = StringField("原因", validators=[required("请说明原因"), length(300)],
                         description="会在公开页面的修改历史中显示。")
