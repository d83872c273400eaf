"""The long menus' widget writes exactly what WTForms' own select writes."""

from __future__ import annotations

from wtforms import Form, SelectField
from wtforms.validators import InputRequired
from wtforms.widgets import Select

from sunshine.market.forms import LongSelect


def test_long_select_writes_the_same_html_as_wtforms():
    choices = {"": "请选择", "450102101201": "凤水村", "450102101202": "<小下村> & \"新\""}

    class Menus(Form):
        plain = SelectField("村", choices=choices, validators=[InputRequired()], widget=Select())
        long = SelectField("村", choices=choices, validators=[InputRequired()],
                           widget=LongSelect())

    for chosen in ("", "450102101202", "unknown"):
        form = Menus(data={"plain": chosen, "long": chosen})
        for extra in ({}, {"aria_describedby": "hint", "class": "wide"}):
            plain = form.plain(**extra).replace('name="plain"', "").replace('id="plain"', "")
            long = form.long(**extra).replace('name="long"', "").replace('id="long"', "")
            assert long == plain
    assert "selected" in Menus(data={"long": "450102101201"}).long()
