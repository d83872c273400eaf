"""A service's refusal on a form: inline at the field it names (or a default field) when the
form has it, otherwise flashed above the form on the same page."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string, request
from flask.testing import FlaskClient
from wtforms import StringField, TextAreaField

from sunshine.accounts.services import AccountError
from sunshine.complaints.services import CaseError
from sunshine.content.services import ArticleError
from sunshine.failures import FieldError
from sunshine.forms import BaseForm, show_error
from sunshine.guard import PersonalDataFound, find_personal_numbers
from sunshine.market.services import MarketError
from sunshine.matching.common import MatchingError
from sunshine.notices.services import NoticeError
from sunshine.records.checks import RecordError
from sunshine.stats.register import RegisterError
from sunshine.workdays.services import CalendarError

#: ``probe`` adds a route, so each test has an app of its own.
pytestmark = pytest.mark.own_app

PAGE = """{% extends "base.html" %}{% import "_macros/forms.html" as forms %}
{% block content %}{{ forms.field(form.name) }}{{ forms.field(form.body) }}{% endblock %}"""


class PlaceForm(BaseForm):
    name = StringField("名称")
    body = TextAreaField("说明")


@pytest.fixture
def probe(app: Flask, client: FlaskClient) -> FlaskClient:
    """POST /probe?field=F&default=D: a service refuses with a FieldError about field F."""

    @app.post("/probe")
    def probe_view() -> tuple[str, int]:
        form = PlaceForm()
        form.validate()
        error = FieldError("这个名称已被使用", request.args.get("field") or None)
        show_error(form, error, request.args.get("default", ""))
        return render_template_string(PAGE, form=form), 400

    return client


def test_the_error_is_shown_inline_at_the_field_it_names(probe: FlaskClient) -> None:
    html = probe.post("/probe?field=body&default=name", data={"name": "x"}).get_data(as_text=True)
    assert '<p class="error" id="body-error">这个名称已被使用</p>' in html
    assert 'aria-describedby="body-error"' in html
    assert "name-error" not in html and "flash-error" not in html


def test_a_field_the_form_lacks_falls_back_to_the_default_field(probe: FlaskClient) -> None:
    html = probe.post("/probe?field=county&default=name").get_data(as_text=True)
    assert '<p class="error" id="name-error">这个名称已被使用</p>' in html
    assert "flash-error" not in html


@pytest.mark.parametrize("query", ["?field=county", ""])
def test_without_a_field_on_the_form_the_error_is_flashed_on_the_same_page(
        probe: FlaskClient, query: str) -> None:
    response = probe.post(f"/probe{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<p class="flash flash-error" role="alert">这个名称已被使用</p>' in html
    assert 'class="error"' not in html
    # Shown once: the flash is not carried over to the next page.
    assert "这个名称已被使用" not in probe.get("/").get_data(as_text=True)


def test_personal_data_found_is_shown_at_the_default_field(app: Flask) -> None:
    findings = find_personal_numbers("身份证号 110101199003074514")
    assert findings
    with app.test_request_context(method="POST", data={"name": "", "body": ""}):
        form = PlaceForm()
        show_error(form, PersonalDataFound(findings), "body")
        assert form.body.errors and "个人敏感号码" in form.body.errors[0]
        assert not form.name.errors


@pytest.mark.parametrize("error_class", [
    AccountError, ArticleError, CalendarError, CaseError, MarketError, MatchingError,
    NoticeError, RecordError, RegisterError,
])
def test_every_feature_refusal_is_a_field_error(error_class: type[FieldError]) -> None:
    with pytest.raises(FieldError) as caught:
        raise error_class("不行", "name")
    assert (caught.value.message, caught.value.field, str(caught.value)) == ("不行", "name", "不行")
