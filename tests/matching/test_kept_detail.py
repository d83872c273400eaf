"""A need's page is kept for visitors who are not logged in; a donor gets it rendered with
their own pledge form, which never reaches anyone else's copy."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.matching.conftest import make_need
from tests.test_pagecache_visitors import served_in_front


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_a_needs_page_is_kept_for_strangers_and_rendered_for_a_donor(
        app: Flask, users, client_for: Any) -> None:
    need = make_need(users)
    url = f"/help/{need.id}"
    first, front = served_in_front(app, app.test_client(), url)
    assert not front and "登录后认领" in first.text
    donor = client_for("donor-a")
    donor.get("/")  # the welcome message, flashed once
    for _ in range(2):
        mine, front = served_in_front(app, donor, url)
        assert not front and "确认认领" in mine.text and 'value="张善人"' in mine.text
    stranger, front = served_in_front(app, app.test_client(), url)
    assert front and stranger.data == first.data
    assert "确认认领" not in stranger.text and "张善人" not in stranger.text
