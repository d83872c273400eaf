"""The seller forms' own widgets write exactly what WTForms' own widgets write."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, Select

from sunshine.market.forms import CheckboxList, QuickSelect

NAUGHTY = '"><script>alert(1)</script>&amp;\'<'
CHOICES = {"": "请选择", "450102101201": "凤水村", "450102101202": "<小下村> & \"新\"",
           NAUGHTY: NAUGHTY}


def test_quick_select_writes_the_same_html_as_wtforms():
    class Menus(Form):
        plain = SelectField("村", choices=CHOICES, validators=[InputRequired()], widget=Select())
        quick = SelectField("村", choices=CHOICES, validators=[InputRequired()],
                            widget=QuickSelect())

    for chosen in ("", "450102101202", NAUGHTY, "unknown"):
        form = Menus(data={"plain": chosen, "quick": chosen})
        for extra in ({}, {"aria_describedby": "hint", "class_": "wide", "aria_invalid": False},
                      {"data_x": NAUGHTY, "disabled": True}):
            plain = form.plain(**extra).replace('name="plain"', "").replace('id="plain"', "")
            quick = form.quick(**extra).replace('name="quick"', "").replace('id="quick"', "")
            assert quick == plain
            assert isinstance(quick, Markup)
    assert "selected" in Menus(data={"quick": "450102101201"}).quick()


class Boxes(Form):
    optional = SelectMultipleField("标识", choices=CHOICES, validators=[Optional()],
                                   widget=CheckboxList(), option_widget=CheckboxInput())
    needed = SelectMultipleField("标识", choices=CHOICES,
                                 validators=[InputRequired()], widget=CheckboxList(),
                                 option_widget=CheckboxInput())


def one_by_one(field: SelectMultipleField) -> str:
    """What the page wrote before: each option and its label through WTForms."""
    return "".join(f'<div class="choice">{option()} {option.label}</div>' for option in field)


@pytest.mark.parametrize("chosen", [[], ["450102101201"], ["450102101201", NAUGHTY]])
def test_the_checkbox_list_writes_each_option_as_wtforms_does(chosen):
    form = Boxes(data={"optional": chosen, "needed": chosen})
    for field in (form.optional, form.needed):
        assert field() == one_by_one(field)
    assert form.optional().count("checked") == len(chosen)
    assert "required" in form.needed() and "required" not in form.optional()
