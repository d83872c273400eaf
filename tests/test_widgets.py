"""The site's own drawing of form inputs gives WTForms' markup, escaping included."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    DecimalRangeField,
    EmailField,
    FileField,
    Form,
    HiddenField,
    IntegerField,
    IntegerRangeField,
    MonthField,
    MultipleFileField,
    PasswordField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import NumberInput

from sunshine import widgets
from tests.conftest import shared_data

NAUGHTY = '"><script>alert(1)</script>&amp;\'<'


class Everything(Form):
    text = StringField("文本", validators=[DataRequired(), Length(max=100)])
    secret = PasswordField("密码", validators=[Length(min=8, max=64)])
    hidden = HiddenField()
    tick = BooleanField("同意")
    pick = RadioField("选择", choices={"a": "甲", NAUGHTY: NAUGHTY, "c": "<b>丙</b>"})
    menu = SelectField("市", choices={"": "请选择", "1": "一", NAUGHTY: NAUGHTY},
                       validate_choice=False)
    many = SelectMultipleField("多选", choices={"x": "X", "y": "Y"})
    body = TextAreaField("正文", validators=[DataRequired(), Length(max=5000)])
    photo = FileField("照片")
    photos = MultipleFileField("照片")
    email = EmailField("邮箱")
    phone = TelField("电话")
    query = SearchField("搜索")
    go = SubmitField("提交")
    day = DateField("日期", validators=[DataRequired()])
    since = DateField("起始日期", format=["%Y/%m/%d", "%Y-%m-%d"],
                      render_kw={"min": date(2015, 1, 1), "max": lambda: date(2020, 12, 31)})
    moment = DateTimeLocalField("时间")
    month = MonthField("月份")
    hour = TimeField("时刻", validators=[Optional()])
    count = IntegerField("户数", validators=[NumberRange(min=0, max=9999)])
    amount = DecimalField("金额", places=2, widget=NumberInput(step="0.01", min=0))
    share = DecimalRangeField("比例", validators=[NumberRange(min=0, max=1)])
    level = IntegerRangeField("等级")


#: What a visitor may type into every text-like field (dates and numbers included: a refused
#: value is shown back as it was typed).
TYPED = ("text", "secret", "hidden", "email", "phone", "query", "day", "since", "moment",
         "month", "hour", "count", "amount", "share", "level")


def filled_with(value: str) -> Everything:
    form = Everything(MultiDict({
        **dict.fromkeys(TYPED, value), "tick": "y", "pick": value, "menu": value,
        "many": ["x", "y"], "body": f"{value}\r\n</textarea>"}))
    form.validate()  # dates and numbers keep the raw text they refused
    return form


def forms() -> list[Form]:
    blank = Everything()
    filled = filled_with(NAUGHTY)
    filled.menu.render_kw = {"disabled": True, "data_role": NAUGHTY}
    valid = Everything(data={"day": date(2020, 2, 29), "moment": datetime(2021, 3, 4, 5, 6),
                             "count": 12, "amount": Decimal("1234.5"), "share": Decimal("0.25"),
                             "level": 3})
    return [blank, filled, valid]


def assert_drawn_as_wtforms_draws(form: Form, attrs: dict[str, object]) -> None:
    for field in form:
        subfields = list(field) if isinstance(field, RadioField) else []
        for shown in [field, *subfields]:
            theirs = shown.widget(shown, **{widgets.attribute_name(k): v for k, v
                                            in {**(shown.render_kw or {}), **attrs}.items()})
            ours = widgets.render_field(shown, attrs)
            assert ours == theirs, shown.name
            assert isinstance(ours, Markup)


ATTRIBUTES = [
    {},
    {"class_": "wide", "maxlength": 30, "autocomplete": "off"},
    {"aria_describedby": "a-hint a-error", "aria_invalid": "true", "data_x_y": NAUGHTY},
    {"aria_invalid": False, "required": False, "readonly": True, "placeholder": NAUGHTY},
    {"title": Markup('已"标记"的 <b>值</b> &amp;'), "rows": 8, "value": NAUGHTY},
]


@pytest.mark.parametrize("attrs", ATTRIBUTES)
def test_every_widget_draws_what_wtforms_draws(attrs: dict[str, object]) -> None:
    for form in forms():
        assert_drawn_as_wtforms_draws(form, attrs)


def test_every_field_kind_of_the_site_is_drawn_here() -> None:
    """Dates and numbers too: only a list of radio buttons drawn whole is left to WTForms."""
    for field in Everything():
        if not isinstance(field, RadioField):
            assert type(field.widget) in widgets.RENDERERS, field.name


def test_naughty_strings_are_drawn_as_wtforms_draws_them() -> None:
    strings = json.loads(shared_data("naughty-strings", "blns.json").read_text("utf-8"))
    for value in strings[::3]:
        assert_drawn_as_wtforms_draws(filled_with(value), {"placeholder": value})


def test_date_and_number_limits() -> None:
    form = forms()[2]
    since = str(widgets.render_field(form.since, {}))
    assert 'max="2020/12/31" min="2015/01/01"' in since
    assert 'value="2020-02-29"' in str(widgets.render_field(form.day, {}))
    count = str(widgets.render_field(form.count, {}))
    assert 'max="9999" min="0"' in count and 'type="number"' in count
    assert 'step="0.01"' in str(widgets.render_field(form.amount, {}))
    assert 'step="5"' in str(widgets.render_field(form.amount, {"step": 5}))


def test_naughty_values_stay_inside_their_attribute() -> None:
    form = forms()[1]
    html = str(widgets.render_field(form.text, {"placeholder": NAUGHTY}))
    assert "<script>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;' in html
    body = str(widgets.render_field(form.body, {}))
    assert body.count("</textarea>") == 1
    options = str(widgets.render_field(form.menu, {}))
    assert "<script>" not in options
    assert "selected" in options and 'data-role="&#34;&gt;' in options


def test_markup_values_lose_only_their_double_quotes() -> None:
    assert widgets.attributes({"title": Markup('a "b" &amp; <i>')}) \
        == 'title="a &quot;b&quot; &amp; <i>"'


def test_attributes_are_sorted_and_booleans_bare_or_absent() -> None:
    assert widgets.attributes({"name": "n", "disabled": True, "checked": False, "id": 1}) \
        == 'disabled id="1" name="n"'


@pytest.mark.parametrize("value", ["plain", "a&b", "a'b", "a<b", "a>b", 'a"b', "&#34;", "",
                                   "中文", 7, None, Markup("a&amp;b")])
def test_each_value_is_escaped_as_wtforms_escapes_it(value: object) -> None:
    from wtforms.widgets import html_params

    assert widgets.attributes({"title": value}) == html_params(title=value)
