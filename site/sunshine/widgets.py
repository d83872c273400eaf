"""The HTML of the form inputs, written directly: the same markup as WTForms' own widgets
(attributes in name order, values escaped, ``True`` a bare attribute and ``False`` none),
for the widgets the site uses.

WTForms builds every attribute through ``Markup.format`` and looks up the field's flags with
``dir()``; on a form page that was a fifth of the request. Widgets not listed here (a custom
one, a list of radio buttons drawn whole, a select with option groups) are drawn by WTForms
itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from markupsafe import Markup, escape
from wtforms import Field
from wtforms import widgets as wt

#: The characters that HTML escaping changes.
_SPECIAL = re.compile(r"[&<>\"']")


@cache
def attribute_name(key: str) -> str:
    """``class_`` → ``class``, ``aria_describedby`` → ``aria-describedby``, as WTForms does."""
    key = key.rstrip("_")
    if key.startswith(("data_", "aria_")):
        key = key.replace("_", "-")
    return key


def attributes(attrs: Mapping[str, Any]) -> str:
    """``name="value"`` pairs in name order (names already cleaned, see ``attribute_name``).

    A value that is already markup keeps its entities but never its double quotes."""
    parts = []
    for key in sorted(attrs):
        value = attrs[key]
        if value is True:
            parts.append(key)
        elif value is not False:
            # Most values (ids, names, codes) are plain text with nothing to escape.
            if type(value) is not str or _SPECIAL.search(value):
                value = str(escape(value)).replace('"', "&quot;")
            parts.append(f'{key}="{value}"')
    return " ".join(parts)


def _flags(field: Field, widget: Any, attrs: dict[str, Any], call: bool) -> None:
    """The attributes the validators ask for (``required``, ``maxlength``) unless given."""
    flags = vars(field.flags)
    for name in widget.validation_attrs:
        if name in flags and name not in attrs:
            value = flags[name]
            attrs[name] = value() if call and callable(value) else value


def _input(field: Field, widget: Any, attrs: dict[str, Any]) -> Markup:
    kind = type(widget)
    if kind is wt.PasswordInput and widget.hide_value:
        attrs["value"] = ""
    elif kind is wt.CheckboxInput:
        if getattr(field, "checked", field.data):
            attrs.setdefault("checked", True)
    elif kind is wt.RadioInput:
        if field.checked:
            attrs.setdefault("checked", True)
    elif kind is wt.FileInput:
        attrs["value"] = False
        if widget.multiple:
            attrs["multiple"] = True
    elif kind is wt.SubmitInput:
        attrs.setdefault("value", field.label.text)
    attrs.setdefault("id", field.id)
    attrs.setdefault("type", widget.input_type)
    if "value" not in attrs:
        attrs["value"] = field._value()
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in attrs:
        attrs["list"] = datalist if isinstance(datalist, str) else datalist.id
    _flags(field, widget, attrs, call=True)
    attrs["name"] = field.name
    return Markup(f"<input {attributes(attrs)}>")


def _date(field: Field, widget: Any, attrs: dict[str, Any]) -> Markup:
    """A date or time input: a ``min`` or ``max`` that is a date is written in the field's
    format."""
    fmt = getattr(field, "format", None)
    if fmt is not None:
        fmt = fmt[0] if isinstance(fmt, list) else fmt
        for name in ("min", "max"):
            value: Any = attrs.get(name, getattr(field.flags, name, None))
            if callable(value):
                value = value()
            if hasattr(value, "strftime"):
                attrs[name] = value.strftime(fmt)
    return _input(field, widget, attrs)


def _number(field: Field, widget: Any, attrs: dict[str, Any]) -> Markup:
    """A number input: the widget's own ``step``, ``min`` and ``max`` unless given."""
    for name in ("step", "min", "max"):
        value = getattr(widget, name)
        if value is not None:
            attrs.setdefault(name, value)
    return _input(field, widget, attrs)


def _textarea(field: Field, widget: Any, attrs: dict[str, Any]) -> Markup:
    attrs.setdefault("id", field.id)
    _flags(field, widget, attrs, call=False)
    attrs["name"] = field.name
    return Markup(f"<textarea {attributes(attrs)}>\r\n{escape(field._value())}</textarea>")


def _select(field: Any, widget: Any, attrs: dict[str, Any]) -> Markup:
    if field.has_groups():
        return widget(field, **attrs)
    attrs.setdefault("id", field.id)
    if widget.multiple:
        attrs["multiple"] = True
    _flags(field, widget, attrs, call=False)
    attrs["name"] = field.name
    html = [f"<select {attributes(attrs)}>"]
    for choice in field._iter_choices_normalized():
        value = choice.value
        option = {"value": str(value) if isinstance(value, bool) else value,
                  **(choice.render_kw or {})}
        if choice.selected:
            option["selected"] = True
        html.append(f"<option {attributes(option)}>{escape(choice.label or choice.value)}"
                    "</option>")
    html.append("</select>")
    return Markup("".join(html))


Renderer = Callable[[Any, Any, dict[str, Any]], Markup]

#: Widgets drawn here, by exact class (a subclass may draw differently).
RENDERERS: dict[type, Renderer] = {
    **{kind: _input for kind in (
        wt.TextInput, wt.PasswordInput, wt.HiddenInput, wt.CheckboxInput, wt.RadioInput,
        wt.FileInput, wt.SubmitInput, wt.SearchInput, wt.TelInput, wt.URLInput, wt.EmailInput,
        wt.ColorInput)},
    **{kind: _date for kind in (
        wt.DateInput, wt.DateTimeInput, wt.DateTimeLocalInput, wt.MonthInput, wt.WeekInput,
        wt.TimeInput)},
    wt.NumberInput: _number,
    wt.RangeInput: _number,
    wt.TextArea: _textarea,
    wt.Select: _select,
}


def render_field(field: Field, render_kw: Mapping[str, Any]) -> Markup:
    """``field(**render_kw)``: the field's own ``render_kw`` under the caller's attributes."""
    attrs = {attribute_name(k): v for k, v in render_kw.items()}
    own = getattr(field, "render_kw", None)
    if own:
        attrs = {**{attribute_name(k): v for k, v in own.items()}, **attrs}
    widget = field.widget
    renderer = RENDERERS.get(type(widget))
    if renderer is None:
        return widget(field, **attrs)
    return renderer(field, widget, attrs)


def _joined(separator: str, items: Any) -> Markup:
    """``items|join(separator)`` as an autoescaping template writes it."""
    return escape(separator).join(items)


def form_field(f: Field, **attrs: Any) -> Markup:
    """One field of a form as the site shows it: its label, hint (the field's description),
    input and inline errors; ``attrs`` go to the input (e.g. ``autocomplete="username"``).

    Templates call it as ``field(...)`` from ``_macros/forms.html``. A form page calls it
    for every field, so it is plain Python rather than a Jinja macro (whose call cost about as
    much as the input); its HTML, whitespace included, is that of the same layout written as a
    macro in tests/form_field_macro.html, which tests/test_form_field.py compares it with.
    """
    errors = f.errors
    hint = (f'<p class="hint" id="{escape(f.id)}-hint">{escape(f.description)}</p>'
            if f.description else "")
    error = (f'<p class="error" id="{escape(f.id)}-error">{_joined("；", errors)}</p>'
             if errors else "")
    html = ['<div class="field field-error">\n' if errors else '<div class="field">\n']
    if f.type == "RadioField":
        html.append(f"  <fieldset>\n    <legend>{escape(f.label.text)}</legend>\n{hint}")
        for option in f:
            html.append(f'    <div class="choice">{escape(option(**attrs))} <label for='
                        f'"{escape(option.label.field_id)}">{escape(option.label.text)}'
                        "</label></div>\n")
        html.append(f"{error}  </fieldset>\n")
    elif f.type == "BooleanField":
        html.append(f'  <div class="choice">{escape(f(**attrs))} <label for='
                    f'"{escape(f.label.field_id)}">{escape(f.label.text)}</label></div>\n')
    else:
        described = [f"{f.id}-hint"] if f.description else []
        if errors:
            described.append(f"{f.id}-error")
        shown = f(aria_describedby=" ".join(described), aria_invalid="true" if errors else False,
                  **attrs) if described else f(**attrs)
        html.append(f'  <label for="{escape(f.label.field_id)}">{escape(f.label.text)}</label>\n'
                    f"{hint}{error}  {escape(shown)}\n")
    html.append("</div>\n")
    return Markup("".join(html))
