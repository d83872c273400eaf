"""A notice's page is kept by the page cache although it carries the objection form: each
visitor gets the kept page with their own CSRF token and signed start time, which the form
accepts, and the kept page is the page a fresh render gives. CSRF protection is on here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from sunshine import formguard
from sunshine.notices.views import FORM_SALT
from tests.notices.conftest import objection_data, published
from tests.test_pagecache_visitors import TOKEN, served_in_front

STARTED = re.compile(r'name="started" type="hidden" value="([^"]+)"')


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": True, "COMPLAINT_MIN_FILL_SECONDS": 0}


def without_tokens(page: str) -> str:
    return STARTED.sub("started", TOKEN.sub("csrf", page))


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_each_visitor_gets_the_kept_notice_with_their_own_tokens(app: Flask, users, register,
                                                                 clock) -> None:
    notice = published(users["county"])
    url = f"/notices/{notice.id}"
    first, second = app.test_client(), app.test_client()
    one, front = served_in_front(app, first, url)
    assert not front and one.status_code == 200  # rendered, and kept
    two, front = served_in_front(app, second, url)
    assert front and two.status_code == 200 and "session=" in two.headers["Set-Cookie"]
    assert two.headers["Cache-Control"] == "private, no-cache"
    token_one, token_two = (TOKEN.search(page.text) for page in (one, two))
    assert token_one and token_two and token_one.group(1) != token_two.group(1)
    started = STARTED.search(two.text)
    assert started is not None
    with app.test_request_context():
        assert formguard.suspicion(None, started.group(1), FORM_SALT) is None
    # The kept page is what a fresh render gives, but for the tokens.
    app.config["PAGE_CACHE"] = False
    try:
        fresh = app.test_client().get(url).text
    finally:
        app.config["PAGE_CACHE"] = True
    assert without_tokens(two.text) == without_tokens(fresh) == without_tokens(one.text)
    # A token is good for its own session only.
    target = f"{url}/objection"
    data = objection_data(app, csrf_token=token_two.group(1), started=started.group(1))
    assert first.post(target, data=data).status_code == 400
    answer = second.post(target, data=data)
    assert answer.status_code == 200 and 'id="tracking-code"' in answer.text
    # The objection is on the page at once, for everyone.
    assert without_tokens(app.test_client().get(url).text) != without_tokens(one.text)


@pytest.mark.own_app
def test_the_print_page_is_kept_until_the_notices_day_changes(app: Flask, users, register,
                                                              clock) -> None:
    notice = published(users["county"])
    url = f"/notices/{notice.id}/print"
    first, front = served_in_front(app, app.test_client(), url)
    assert not front and first.status_code == 200
    again, front = served_in_front(app, app.test_client(), url)
    assert front and again.data == first.data
    clock.set(clock.day(8, hour=0))  # the period is over: rendered again
    later, front = served_in_front(app, app.test_client(), url)
    assert not front and later.status_code == 200
