"""The request form is kept by the page cache and answered in front of Flask, with a fresh
CSRF token and start time for each visitor (which the form accepts) and still no-store."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.notices.test_kept_page import STARTED, without_tokens
from tests.requests.conftest import file, form_data
from tests.test_pagecache_visitors import TOKEN, served_in_front


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": True, "COMPLAINT_MIN_FILL_SECONDS": 0}


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_the_request_form_comes_from_the_front_with_its_own_tokens(
        app: Flask, regions: dict[str, str]) -> None:
    url = f"/requests/new?about=/funds/3&region={regions['county']}"
    first, front = served_in_front(app, app.test_client(), url)
    assert not front and first.status_code == 200
    visitor = app.test_client()
    page, front = served_in_front(app, visitor, url)
    assert front and page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store" and "ETag" not in page.headers
    assert without_tokens(page.text) == without_tokens(first.text)
    assert 'value="/funds/3"' in page.text
    token, started = TOKEN.search(page.text), STARTED.search(page.text)
    assert token and started and token.group(1) != TOKEN.search(first.text).group(1)  # type: ignore[union-attr]
    data = form_data(app, csrf_token=token.group(1), started=started.group(1))
    answer = visitor.post("/requests/new", data=data)
    assert answer.status_code == 200 and 'id="tracking-code"' in answer.text
    assert app.test_client().post("/requests/new", data=data).status_code == 400


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_the_tracking_form_comes_from_the_front_with_its_own_token(
        app: Flask, regions: dict[str, str]) -> None:
    _, code = file()
    first, front = served_in_front(app, app.test_client(), "/requests/track")
    assert not front and first.status_code == 200
    visitor = app.test_client()
    page, front = served_in_front(app, visitor, "/requests/track")
    assert front and page.headers["Cache-Control"] == "no-store"
    assert without_tokens(page.text) == without_tokens(first.text)
    token = TOKEN.search(page.text)
    assert token and token.group(1) != TOKEN.search(first.text).group(1)  # type: ignore[union-attr]
    answer = visitor.post("/requests/track", data={"code": code, "csrf_token": token.group(1)})
    assert answer.status_code == 200 and "某村 2024 年衔接资金" in answer.text
    assert app.test_client().post("/requests/track", data={
        "code": code, "csrf_token": token.group(1)}).status_code == 400
