"""Back-office forms of the register."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import NumberRange

from sunshine.forms import BaseForm, length, required
from sunshine.stats import register, vocab


class StatusChangeForm(BaseForm):
    change = SelectField("变化", choices=dict(register.CHANGES), validators=[required()])
    year = IntegerField("年度", validators=[
        required("请填写年度"),
        NumberRange(vocab.FIRST_YEAR, vocab.LAST_YEAR,
                    f"年度应在 {vocab.FIRST_YEAR}–{vocab.LAST_YEAR} 之间")])


class FindForm(BaseForm):
    number = StringField("身份证号", validators=[required("请填写身份证号"), length(18, 18)],
                         description="只在您负责的区划内查找；查找会记入操作日志（不记录号码）。")
