"""Shared form pieces: a base form that rejects control characters and broken UTF-8, and the
one way a service's refusal is shown on a form.

Form bodies are decoded with bytes that are not UTF-8 turned into U+FFFD (see
``sunshine.web.Request``), so the replacement character is the sign that a browser (or a
script) sent bytes that were not UTF-8.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

from flask import flash
from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from sunshine import widgets
from sunshine.failures import FieldError
from sunshine.guard import PersonalDataFound

ALLOWED_IN_TEXTAREA = {"\n", "\r", "\t"}


def has_bad_characters(value: str, multiline: bool = False) -> bool:
    for char in value:
        if char == "\ufffd":
            return True
        if unicodedata.category(char) == "Cc" and not (multiline and char in ALLOWED_IN_TEXTAREA):
            return True
    return False


@cache
def _chinese_translations() -> Any:
    return get_translations(["zh"])


class BaseForm(FlaskForm):
    """Every form of the site: Chinese messages, and no control or undecodable characters."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            """WTForms' own messages (e.g. for a choice that is not offered) in Chinese."""
            return _chinese_translations()

        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Any:
            """WTForms' markup, written without its slow attribute formatting."""
            return widgets.render_field(field, render_kw)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field, StringField | TextAreaField) and isinstance(field.data, str):
                multiline = isinstance(field, TextAreaField)
                if has_bad_characters(field.data, multiline):
                    field.errors = [*field.errors,
                                    "含有无效字符（控制字符或非 UTF-8 编码），请删除后重试"]
                    ok = False
        return ok


def required(message: str = "此项为必填") -> DataRequired:
    return DataRequired(message=message)


def present(message: str = "此项为必填") -> InputRequired:
    return InputRequired(message=message)


def length(max: int, min: int = -1) -> Length:  # noqa: A002  (mirrors WTForms' own name)
    if min > 0:
        return Length(min=min, max=max, message=f"长度应为 {min}–{max} 个字符")
    return Length(max=max, message=f"不能超过 {max} 个字符")


def set_field_error(field: Field, message: str) -> None:
    """Attach a service's error to a field after validation, for inline display."""
    field.errors = [*field.errors, message]


def show_error(form: FlaskForm, error: FieldError | PersonalDataFound, default: str = "") -> None:
    """Show a service's refusal on the page that renders ``form`` again.

    Inline, at the field the error names or else at ``default``, when the form has that field;
    a refusal about no field of this form is flashed above it instead, on the same page.
    """
    for name in (getattr(error, "field", None), default):
        if name and name in form:
            set_field_error(form[name], error.message)
            return
    flash(error.message, "error")


__all__ = ["BaseForm", "ValidationError", "length", "present", "required", "set_field_error",
           "show_error"]
