"""The archive's lists (page, CSV, feed, API) are read once and remembered per worker until a
request changes: with the page cache off, a new request, an answer or a renamed region shows at
once, as a fresh read gives it. Also run on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.regions.services import tell_renamed
from sunshine.requests import handling
from sunshine.requests.models import Outcome
from tests.conftest import SAMPLE
from tests.requests.conftest import china, file

pytestmark = pytest.mark.postgres

URLS = ["/requests/", "/requests/export.csv", "/feeds/requests.xml", "/api/v1/requests",
        f"/requests/?region={SAMPLE['county']}"]


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"PAGE_CACHE": False}


def _answers(client: FlaskClient) -> list[str]:
    answers = [client.get(url) for url in URLS]
    assert [a.status_code for a in answers] == [200] * len(URLS)
    return [a.get_data(as_text=True) for a in answers]


def _fresh(app: Flask, client: FlaskClient) -> list[str]:
    app.extensions.pop("page_memo", None)
    return _answers(client)


def test_every_change_shows_at_once(app, client, regions, users) -> None:
    first, _ = file(now=china(3, 2))
    before = _answers(client)
    assert all(f"/requests/{first.id}" in text for text in before), before
    second, _ = file(now=china(3, 3))
    after = _answers(client)
    assert all(f"/requests/{second.id}" in text for text in after)
    assert after == _fresh(app, client)
    handling.answer(first, users["county"],
                    handling.Answer(Outcome.DISCLOSED, "open", "答复内容。"), now=china(3, 9))
    answered = _answers(client)
    assert answered != after and answered == _fresh(app, client)
    assert "予以公开" in answered[1]  # the CSV's outcome column
    region = db.session.get(Region, SAMPLE["county"])
    region.name = "新名字县"
    tell_renamed([SAMPLE["county"]])
    db.session.commit()
    renamed = _answers(client)
    assert all("新名字县" in renamed[i] for i in (0, 1, 4))  # the office's name
    assert renamed == _fresh(app, client)
