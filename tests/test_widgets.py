"""The site's own drawing of form inputs gives WTForms' markup, escaping included."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    EmailField,
    FileField,
    Form,
    HiddenField,
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
)
from wtforms.validators import DataRequired, Length

from sunshine import widgets

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


def forms() -> list[Form]:
    blank = Everything()
    filled = Everything(MultiDict({
        "text": NAUGHTY, "secret": NAUGHTY, "hidden": NAUGHTY, "tick": "y", "pick": NAUGHTY,
        "menu": NAUGHTY, "many": ["x", "y"], "body": f"{NAUGHTY}\r\n</textarea>",
        "email": NAUGHTY, "phone": NAUGHTY, "query": NAUGHTY}))
    filled.menu.render_kw = {"disabled": True, "data_role": NAUGHTY}
    return [blank, filled]


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
        for field in form:
            subfields = list(field) if isinstance(field, RadioField) else []
            for shown in [field, *subfields]:
                theirs = shown.widget(shown, **{widgets.attribute_name(k): v for k, v
                                                in {**(shown.render_kw or {}),
                                                    **attrs}.items()})
                ours = widgets.render_field(shown, attrs)
                assert ours == theirs, shown.name
                assert isinstance(ours, Markup)


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
