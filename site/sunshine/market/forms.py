"""Forms: the seller profile, a listing, photos, an inquiry, a reply, and staff steps.

Validators check shape only; prices are parsed (and refused) by ``services.parse_price``.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import (
    DateField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, Regexp
from wtforms.widgets import CheckboxInput, Select

from sunshine import widgets
from sunshine.forms import BaseForm, length, required
from sunshine.market.models import CATEGORIES, LABELS, UNITS, SellerKind


def _attributes(kwargs: dict[str, object]) -> str:
    return widgets.attributes({widgets.attribute_name(k): v for k, v in kwargs.items()})


class QuickSelect(Select):
    """WTForms' select, the same HTML, for the menus of the seller's forms (a county's
    villages, categories, units): the options are written straight from the (value, label)
    pairs, not through an object and a parameter dictionary each (a few hundred villages
    cost a page milliseconds that way)."""

    def __call__(self, field: SelectField, **kwargs: object) -> Markup:
        kwargs.setdefault("id", field.id)
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag, False):
                kwargs[flag] = getattr(field.flags, flag)
        kwargs["name"] = field.name
        chosen = field.data
        choices = field.choices.items() if isinstance(field.choices, dict) else field.choices
        options = "".join(
            f'<option {"selected " if field.coerce(value) == chosen else ""}'
            f'value="{escape(value)}">{escape(label or value)}</option>'
            for value, label in choices or ())
        return Markup(f"<select {_attributes(kwargs)}>{options}</select>")


class CheckboxList:
    """A box and its label for each choice of a multiple choice, one ``div.choice`` each:
    what ``{{ option() }} {{ option.label }}`` writes for each of the field's options, with
    no field object built for each."""

    def __call__(self, field: SelectMultipleField, **kwargs: object) -> Markup:
        if field.flags.required and "required" not in kwargs:
            kwargs["required"] = True
        chosen = field.data or ()
        choices = field.choices.items() if isinstance(field.choices, dict) else field.choices
        html = []
        for index, (value, label) in enumerate(choices or ()):
            box = f"{field.id}-{index}"
            attrs = {**kwargs, "id": box, "name": field.name, "type": "checkbox", "value": value,
                     "checked": field.coerce(value) in chosen}
            html.append(f'<div class="choice"><input {_attributes(attrs)}> '
                        f'<label for="{escape(box)}">{escape(label)}</label></div>')
        return Markup("".join(html))


class SellerForm(BaseForm):
    name = StringField("名称", validators=[required(), length(100)],
                       description="合作社或企业的名称，农户可填“某某村某某家庭农场”等。")
    kind = RadioField("类型", choices={k.value: k.label for k in SellerKind},
                      validators=[required("请选择类型")])
    county = SelectField("产地所在县（市、区）", choices={}, validate_choice=False,
                         widget=QuickSelect())
    village_code = SelectField("产地所在村（社区）", choices={}, validate_choice=False,
                               description="先选县，再点“列出这个县的村”。", widget=QuickSelect())
    licence = StringField("营业执照或许可证编号（有则填写）", validators=[length(200)])
    poverty_link = TextAreaField("带贫机制", validators=[required("请说明如何带动贫困户"),
                                                     length(2000)],
                                 description="例如：吸纳贫困户务工、收购贫困户产品、入股分红。")
    intro = TextAreaField("简介（可不填）", validators=[length(2000)])


class MultiCheckbox(SelectMultipleField):
    widget = CheckboxList()
    option_widget = CheckboxInput()


class ListingForm(BaseForm):
    name = StringField("产品名称", validators=[required(), length(100)])
    category = SelectField("品类", choices={c: c for c in CATEGORIES},
                           validators=[required("请选择品类")], widget=QuickSelect())
    variety = StringField("品种（可不填）", validators=[length(100)])
    spec = StringField("规格（可不填）", validators=[length(100)],
                       description="例如：5 斤装、单果 200 克以上。")
    unit = SelectField("计价单位", choices={u: u for u in UNITS}, validators=[required()],
                       widget=QuickSelect())
    price = StringField("价格（元/计价单位）", validators=[required("请填写价格")],
                        description="数字，最多两位小数，例如 12.50。")
    min_order = StringField("起订量", default="1", validators=[
        required(), Regexp(r"^[0-9]{1,7}$", message="请填写整数")])
    stock = StringField("库存或供应季节（可不填）", validators=[length(100)])
    produced_on = DateField("采收或生产日期（可不填）", validators=[Optional()],
                            render_kw={"type": "date"})
    shelf_life = StringField("保质期（可不填）", validators=[length(50)])
    origin_code = SelectField("产地（村）", choices={}, validate_choice=False,
                              validators=[required("请选择产地")], widget=QuickSelect())
    labels = MultiCheckbox("质量标识（可多选）", choices={x: x for x in LABELS},
                           validators=[Optional()])
    description_md = TextAreaField("产品介绍", validators=[length(10000)],
                                   description="支持 Markdown。不要写身份证号、手机号、银行卡号。")


class PhotoForm(BaseForm):
    photos = MultipleFileField("上传照片", description="JPEG、PNG 或 WebP，每张不超过 5 MB。"
                                                    "照片里的拍摄位置等信息会被自动删除。")


class InquiryForm(BaseForm):
    quantity = StringField("需要的数量", validators=[required("请填写数量"), length(50)])
    contact = StringField("您的联系方式", validators=[required("请填写联系方式"), length(100)],
                          description="电话、微信或邮箱，只有这个产品的卖家能看到。")
    message = TextAreaField("留言（可不填）", validators=[length(2000)])


class ReplyForm(BaseForm):
    reply = TextAreaField("答复", validators=[required("请填写答复"), length(2000)])


class ReasonForm(BaseForm):
    reason = TextAreaField("原因", validators=[length(450)])
