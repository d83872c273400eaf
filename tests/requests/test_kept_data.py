"""The archive's data answers (API, CSV, feed, a report's CSV) are kept by the page cache:
answered in front of Flask until a request changes, then made again with the new one."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import SAMPLE
from tests.requests.conftest import file
from tests.test_pagecache_visitors import served_in_front

KEPT = ("/api/v1/requests", "/requests/export.csv", "/feeds/requests.xml",
        f"/requests/report/{SAMPLE['county']}-rural/2026/export.csv")


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_the_archives_data_is_kept_until_a_request_changes(app: Flask,
                                                           regions: dict[str, str]) -> None:
    first, _ = file(subject="第一件申请")
    client = app.test_client()
    kept = {}
    for url in (*KEPT, f"/api/v1/requests/{first.id}"):
        fresh, front = served_in_front(app, client, url)
        assert fresh.status_code == 200 and not front, url
        again, front = served_in_front(app, client, url)
        assert front and again.data == fresh.data, url
        kept[url] = fresh.data
    file(subject="第二件申请")
    for url in KEPT:
        fresh, front = served_in_front(app, client, url)
        assert not front and fresh.data != kept[url], url
    assert "第二件申请" in client.get("/requests/export.csv").text
