"""The back-office form of the working-day calendar."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField

from sunshine.forms import BaseForm, length, required
from sunshine.workdays.services import NAME_LENGTH

KINDS = {"holiday": "放假", "workday": "调休上班（周末上班）"}


class DayForm(BaseForm):
    day = DateField("日期", validators=[required("请填写日期（例如 2027-02-08）")])
    kind = SelectField("类别", choices=KINDS)  # a value not offered is refused: no "required"
    name = StringField("节日", validators=[required("请填写节日名称"), length(NAME_LENGTH)],
                       description="例如：春节、国庆节、本省（区）的民族节日。")
