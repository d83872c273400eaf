"""Forms: a pledge, the slip confirmation, and the staff's need, reason, thanks and photo forms.

Validators check shape; quantities and amounts are parsed (and refused) in ``parse_units`` and
``records.money.parse_amount``, business rules live in the services.
"""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Regexp

from sunshine.forms import BaseForm, has_bad_characters, length, required
from sunshine.matching.models import CATEGORIES, DONOR_KINDS, UNITS, URGENCY

BAD_CHARACTERS = "含有无效字符（控制字符或非 UTF-8 编码），请删除后重试"


def parse_units(text: str | None) -> int | None:
    """A whole number of units in ASCII digits (1–9 digits), or None."""
    value = (text or "").strip()
    if not value or len(value) > 9 or not value.isascii() or not value.isdigit():
        return None
    return int(value)


class PledgeForm(BaseForm):
    item = SelectField("认领哪一项", choices={}, validate_choice=False)
    quantity = StringField("认领数量", validators=[length(9)],
                           render_kw={"inputmode": "numeric", "autocomplete": "off"})
    amount = StringField("认领金额（元）", validators=[length(16)],
                         description="数字，最多两位小数，例如 500 或 500.00。",
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    donor_kind = RadioField("以什么名义认领", choices=dict(DONOR_KINDS), default="person",
                            validators=[required("请选择以个人还是单位名义认领")])
    display_name = StringField("公开显示名称", validators=[length(64)],
                               description="显示在需求页和感谢墙上；不填或勾选匿名时显示为“爱心人士”。")
    anonymous = BooleanField("匿名，公开显示为“爱心人士”")
    contact = StringField("联系方式（可不填）", validators=[length(100)],
                          description="只有负责这项需求的工作人员能看到，用于联系配送；不填时使用注册的邮箱或手机号。")
    message = TextAreaField("给工作人员的留言（可不填）", validators=[length(500)])


class ConfirmForm(BaseForm):
    code = StringField("送达单上的确认码", validators=[required("请填写确认码"), length(40)],
                       description="12 位数字，印在送达单上，空格可以不输入。",
                       render_kw={"inputmode": "numeric", "autocomplete": "off"})


class ReasonForm(BaseForm):
    reason = TextAreaField("原因", validators=[length(500)])


class ThanksForm(BaseForm):
    note = TextAreaField("致谢内容（公开）", validators=[required("请填写致谢内容"), length(2000)],
                         description="受助户的感谢，由工作人员整理后公开：不要写姓名、身份证号、手机号、银行卡号。")


class ItemForm(Form):
    """One line of goods; an empty line is ignored."""

    name = StringField("物品名称", validators=[length(100)])
    quantity = StringField("数量", validators=[length(9)], render_kw={"inputmode": "numeric"})
    unit = SelectField("单位", choices={"": "请选择", **{u: u for u in UNITS}},
                       validate_choice=False)
    price = StringField("估计单价（元）", validators=[length(16)],
                        render_kw={"inputmode": "decimal"})

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for field in (self.name, self.quantity, self.price):
            if isinstance(field.data, str) and has_bad_characters(field.data):
                field.errors = [*field.errors, BAD_CHARACTERS]
                ok = False
        return ok

    @property
    def blank(self) -> bool:
        texts = (self.name.data, self.quantity.data, self.price.data, self.unit.data)
        return not any((text or "").strip() for text in texts)


class NeedForm(BaseForm):
    household_id = StringField(
        "受助户档案编号", validators=[required("请填写档案编号"), Regexp(
            r"^\s*[0-9]{16}\s*$", message="档案编号为 16 位数字（村代码加 4 位序号）")],
        description="登记册中的档案编号，只有工作人员可见，不会公开。可在“扶贫数据”后台查询。",
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    category = SelectField("类别", choices={c: c for c in CATEGORIES},
                           validators=[required("请选择类别")])
    title = StringField("标题", validators=[required("请填写标题"), length(100)],
                        description="例如“初二学生需要一套冬季校服”；不要写姓名。")
    story = TextAreaField("情况说明", validators=[length(5000)],
                          description="改写后不含可识别身份的细节：不写姓名、门牌、身份证号、"
                                      "手机号、银行卡号。支持 Markdown。")
    kind = RadioField("需要的是", choices={"items": "物品", "amount": "资金"}, default="items",
                      validators=[required("请选择物品或资金")])
    amount = StringField("所需金额（元）", validators=[length(16)],
                         description="只在“资金”时填写。本站不经手钱款，"
                                     "认领人通过工作人员指定的正规渠道捐赠。",
                         render_kw={"inputmode": "decimal"})
    items = FieldList(FormField(ItemForm), min_entries=5, max_entries=10, label="物品清单")
    urgency = SelectField("紧急程度", choices={str(k): v for k, v in URGENCY.items()},
                          default="3", validators=[required("请选择紧急程度")])
    deadline = DateField("截止日期", validators=[required("请填写截止日期")],
                         render_kw={"type": "date"})


class PublicEditForm(BaseForm):
    title = NeedForm.title
    story = NeedForm.story
    urgency = NeedForm.urgency
    deadline = NeedForm.deadline


class PhotoForm(BaseForm):
    photos = MultipleFileField("照片", description="JPEG、PNG 或 WebP，每张不超过 5 MB；"
                                                 "拍摄位置等信息会被自动删除。")
    consent = StringField("受助户同意的记录",
                          validators=[required("请记录受助户的同意"), length(300)],
                          description="例如：2024 年 5 月 2 日户主书面同意公开，同意书存村委会。")
    confirmed = BooleanField("已取得受助户同意，照片中没有可辨认的人脸、门牌和证件",
                             validators=[required("请确认已取得同意")])


__all__ = ["ConfirmForm", "ItemForm", "NeedForm", "PhotoForm", "PledgeForm", "PublicEditForm",
           "ReasonForm", "ThanksForm", "parse_units"]
