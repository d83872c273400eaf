"""The form field written in Python gives, byte for byte, what the same layout written as a
Jinja macro gives: every field kind, with and without a hint and errors, hostile text
everywhere."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from flask import Flask
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

from sunshine import create_app, widgets
from sunshine.forms import BaseForm
from tests.conftest import shared_data

#: The field's layout as a Jinja macro: the reference for ``form_field``.
MACRO = (Path(__file__).parent / "form_field_macro.html").read_text("utf-8")

NAUGHTY = '"><script>alert(1)</script>&amp;\'<'


def kinds(label: str, hint: str | Markup) -> type[BaseForm]:
    class Every(BaseForm):
        class Meta:
            csrf = False

        text = StringField(label, description=hint)
        body = TextAreaField(label, description=hint)
        menu = SelectField(label, choices={"": "请选择", NAUGHTY: label}, description=hint,
                           validate_choice=False)
        pick = RadioField(label, choices={"a": label, NAUGHTY: "乙"}, description=hint)
        tick = BooleanField(label, description=hint)
        secret = PasswordField(label, description=hint)
        day = DateField(label, description=hint)
        count = IntegerField(label, description=hint)
        photos = MultipleFileField(label, description=hint)
        hidden = HiddenField(label, description=hint)

    return Every


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app({"SUNSHINE_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def cases() -> list[tuple[str, str | Markup, list[object], str]]:
    """(label, hint, errors, form prefix) with nothing, plain Chinese and hostile text."""
    labels = ["姓名", NAUGHTY]
    hints = ["", "实名反映时填写。", NAUGHTY, Markup("<b>粗</b> &amp; 细")]
    errors: list[list[object]] = [[], ["此项为必填"], [NAUGHTY, "第二条"],
                                  [Markup("<i>已标记</i>"), NAUGHTY]]
    return list(itertools.product(labels, hints, errors, ["", 'x"<']))


ATTRIBUTES = [{}, {"maxlength": 30, "autocomplete": "name", "class_": "wide"},
              {"placeholder": NAUGHTY, "data_x": Markup('a"b'), "readonly": True}]


def test_every_field_is_written_as_the_macro_wrote_it(app: Flask) -> None:
    with app.test_request_context():
        reference = app.jinja_env.from_string(MACRO + "{{ field(f, **attrs) }}")
        imported = app.jinja_env.from_string(
            '{% from "_macros/forms.html" import field %}{{ field(f, **attrs) }}')
        for label, hint, errors, prefix in cases():
            data = MultiDict({f"{prefix}text": NAUGHTY, f"{prefix}pick": NAUGHTY,
                              f"{prefix}tick": "y", f"{prefix}day": NAUGHTY})
            form = kinds(label, hint)(data if errors else None, prefix=prefix)
            for f in form:
                f.errors = list(errors)
                for attrs in ATTRIBUTES:
                    expected = reference.render(f=f, attrs=attrs)
                    assert str(widgets.form_field(f, **attrs)) == expected, (f.name, attrs)
                    assert imported.render(f=f, attrs=attrs) == expected


def test_naughty_strings_in_label_hint_and_errors(app: Flask) -> None:
    strings = json.loads(shared_data("naughty-strings", "blns.json").read_text("utf-8"))
    with app.test_request_context():
        reference = app.jinja_env.from_string(MACRO + "{{ field(f) }}")
        for value in strings[::4]:
            form = kinds(value, value)(MultiDict({"text": value, "pick": value}))
            for f in form:
                f.errors = [value] if value else []
                assert str(widgets.form_field(f)) == reference.render(f=f), (f.name, value)


def test_a_field_with_errors_points_to_its_hint_and_error(app: Flask) -> None:
    with app.test_request_context():
        form = kinds("姓名", "实名反映时填写。")()
        form.text.errors = ["不能超过 30 个字符"]
        html = str(widgets.form_field(form.text, maxlength=30))
    assert '<div class="field field-error">' in html
    assert 'aria-describedby="text-hint text-error" aria-invalid="true"' in html
    assert '<p class="error" id="text-error">不能超过 30 个字符</p>' in html
    assert 'maxlength="30"' in html
