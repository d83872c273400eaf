"""The tracking page's flow, on a probe page of no feature: the kept empty form, the page of
what a code finds, one answer for every code that finds nothing, and one limit on guesses
shared by every page that takes a code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Blueprint, Flask, render_template, request
from flask.testing import FlaskClient
from jinja2 import DictLoader

from sunshine.extensions import db
from sunshine.forms import BaseForm
from sunshine.tracked import tracking
from sunshine.tracked.pages import (
    TrackingPage,
    code_field,
    guesses_limited,
    submissions_limited,
)
from tests.tracked.conftest import Parcel

#: ``probe`` adds routes, so each test has an app of its own.
pytestmark = pytest.mark.own_app

TEMPLATE = """{% extends "base.html" %}{% from "_macros/forms.html" import field %}
{% block content %}{% if parcel %}<p id="found">包裹 {{ parcel.id }}：{{ code }}</p>
{% else %}<form method="post" novalidate>{{ form.hidden_tag() }}{{ field(form.code) }}</form>
{% endif %}{% endblock %}"""
NOT_FOUND = "没有找到这个查询码。"
PAGE = TrackingPage("probe/track.html", "parcel", NOT_FOUND)


class NoteForm(BaseForm):
    code = code_field()


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "PROBE_TRACK_LIMIT": "5 per minute",
            "PROBE_SUBMIT_LIMIT": "2 per minute"}


def _find(code: str) -> Parcel | None:
    return tracking.find(Parcel, code)


def _show(parcel: Parcel, code: str) -> tuple[str, int]:
    return render_template("probe/track.html", parcel=parcel, code=code), 200


class _ProbePages(Blueprint):
    """Its one template comes from memory, not a folder."""

    @property
    def jinja_loader(self) -> DictLoader:  # type: ignore[override]
        return DictLoader({"probe/track.html": TEMPLATE})


#: /probe/track (the tracking page), /probe/note (another page that takes a code) and
#: /probe/new (a public form). Decorated once: a limit is registered by the view's name, so
#: decorating again for each test would count every post twice.
probe_pages = _ProbePages("probe", __name__)


@probe_pages.route("/probe/track", methods=["GET", "POST"])
@guesses_limited("PROBE_TRACK_LIMIT", "probe-track")
def track() -> Any:
    return PAGE.empty() if request.method == "GET" else PAGE.lookup(_find, _show)


@probe_pages.post("/probe/note")
@guesses_limited("PROBE_TRACK_LIMIT", "probe-track")
def note() -> Any:
    form = NoteForm()
    parcel = _find(form.code.data or "")
    return PAGE.nothing_found() if parcel is None else _show(parcel, form.code.data)


@probe_pages.route("/probe/new", methods=["GET", "POST"])
@submissions_limited("PROBE_SUBMIT_LIMIT")
def new() -> str:
    return "已收到"


@pytest.fixture
def probe(app: Flask, parcels: type[Parcel], client: FlaskClient) -> FlaskClient:
    app.register_blueprint(probe_pages)
    return client


def _file(code: str) -> Parcel:
    parcel = Parcel(code_hash=tracking.code_hash(code))
    db.session.add(parcel)
    db.session.commit()
    return parcel


def test_the_empty_form_is_kept_and_never_stored_by_browsers(probe: FlaskClient) -> None:
    first, second = probe.get("/probe/track"), probe.get("/probe/track")
    assert first.status_code == second.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    assert 'name="code"' in first.get_data(as_text=True)


def test_a_code_shows_what_it_found_however_it_is_typed(probe: FlaskClient) -> None:
    code = tracking.new_code()
    parcel = _file(code)
    answer = probe.post("/probe/track", data={"code": f"  {code.lower()} "})
    assert answer.status_code == 200
    assert f'<p id="found">包裹 {parcel.id}：{code.lower()}</p>' in answer.get_data(as_text=True)


def test_every_code_that_finds_nothing_gets_the_very_same_answer(probe: FlaskClient) -> None:
    code = tracking.new_code()
    _file(code)
    near = ("1" if code[0] != "1" else "2") + code[1:]
    answers = [probe.post("/probe/track", data={"code": guess})
               for guess in (near, tracking.new_code(), "<script>", "x" * 64)]
    answers.append(probe.post("/probe/note", data={"code": near}))
    # The same but for the code as typed, given back in its field to correct.
    bodies = {re.sub(r' value="[^"]*"', "", a.get_data(as_text=True)) for a in answers}
    assert {a.status_code for a in answers} == {200} and len(bodies) == 1
    [body] = bodies
    assert NOT_FOUND in body and "<script>" not in body and 'id="found"' not in body


def test_a_missing_or_overlong_code_is_the_forms_own_error(probe: FlaskClient) -> None:
    for data in ({}, {"code": ""}, {"code": "K" * 65}):
        answer = probe.post("/probe/track", data=data)
        assert answer.status_code == 400, data
        assert NOT_FOUND not in answer.get_data(as_text=True)


def test_every_page_that_takes_a_code_shares_one_limit(probe: FlaskClient) -> None:
    guesses = [probe.post("/probe/track", data={"code": tracking.new_code()}).status_code,
               probe.post("/probe/note", data={"code": tracking.new_code()}).status_code,
               probe.post("/probe/track", data={"code": tracking.new_code()}).status_code,
               probe.post("/probe/note", data={"code": tracking.new_code()}).status_code,
               probe.post("/probe/track", data={"code": tracking.new_code()}).status_code]
    assert guesses == [200] * 5
    assert probe.post("/probe/track", data={"code": tracking.new_code()}).status_code == 429
    assert probe.post("/probe/note", data={"code": tracking.new_code()}).status_code == 429
    assert probe.get("/probe/track").status_code == 200  # opening the form is free


def test_submissions_are_limited_but_opening_the_form_is_not(probe: FlaskClient) -> None:
    assert [probe.post("/probe/new").status_code for _ in range(3)] == [200, 200, 429]
    assert [probe.get("/probe/new").status_code for _ in range(3)] == [200] * 3
