"""Back-office forms for allocations, lines and spending. Shapes only; the services hold the
rules (amounts are parsed strictly here and checked again there)."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional, Regexp

from sunshine.forms import BaseForm, length, required
from sunshine.funds.models import FUND_TYPES, SOURCE_LEVELS
from sunshine.records.forms import REGION, AmountField, date_field, year_field
from sunshine.regions.province import short_name


class FundForm(BaseForm):
    year = year_field("资金年度")
    name = StringField("资金名称", validators=[required("请填写资金名称"), length(200)])
    document_number = StringField("文号", validators=[required("请填写文号"), length(100)],
                                  description="例如 财农〔2020〕12号")
    issuer = StringField("下达单位", validators=[required("请填写下达单位"), length(100)])
    source_level = SelectField("资金来源层级", choices={v: v for v in SOURCE_LEVELS},
                               validators=[])
    fund_type = SelectField("资金类型", choices={v: v for v in FUND_TYPES},
                            validators=[])
    amount = AmountField("下达金额（元）", validators=[required("请填写金额")],
                         description="半角数字，最多两位小数，例如 1250000.00")
    region_code = StringField("接收地区代码", validators=REGION,
                              description="12 位区划代码，只能是您负责的区划或其下级。")
    issued_on = date_field("下达日期")
    purpose = TextAreaField("资金用途", validators=[length(1000)])
    reason = StringField("更正原因", validators=[length(300)],
                         description="更正已公开的资金时必填，会在公开页面的修改历史中显示。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document_number.description = f"例如 {short_name()}财农〔2020〕12号"


class LineForm(BaseForm):
    project_id = SelectField("分配到项目", choices={}, validators=[Optional()], coerce=str,
                             description="选择项目，或者留空后填写下级地区代码。")
    region_code = StringField("或分配到下级地区（区划代码）", validators=[
        Optional(), Regexp(r"(?a)^[0-9]{12}$", message="区划代码应为 12 位半角数字")])
    amount = AmountField("分配金额（元）", validators=[required("请填写金额")])
    purpose = StringField("用途", validators=[length(500)])


class SpendingForm(BaseForm):
    project_id = SelectField("所属项目", choices={}, validators=[Optional()], coerce=str)
    amount = AmountField("支出金额（元）", validators=[required("请填写金额")])
    paid_on = date_field("支出日期")
    payee = StringField("收款单位", validators=[required("请填写收款单位"), length(200)],
                        description="单位名称；发放到户的补助写代发单位，不写个人姓名。")
    purpose = StringField("用途", validators=[length(500)])
    voucher = StringField("凭证号", validators=[length(64)])
    reason = StringField("更正原因", validators=[length(300)])
