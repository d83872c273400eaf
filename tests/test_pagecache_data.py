"""Data answers (the JSON API, CSV exports, the public record, the sitemap) are kept by the
page cache like pages: answered in front of Flask for every visitor, with their ETag and a
304, and made again when a write changes their data."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from sunshine import create_app
from sunshine.accounts.models import Role
from sunshine.extensions import db
from sunshine.pagecache import data
from sunshine.records import export
from tests.apps import PASSWORD, make_config
from tests.factories import make_user
from tests.funds.conftest import make_fund
from tests.test_pagecache_visitors import served_in_front

KEPT = ("/funds/export.csv", "/api/v1/funds", "/funds/ledger.json", "/sitemap.xml",
        "/projects/export.csv", "/api/v1/projects", "/funds/ledger.json?after=1&per_page=1",
        "/robots.txt", "/healthz")


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_exports_and_the_api_are_kept_and_follow_each_write(app: Flask,
                                                            regions: dict[str, str]) -> None:
    first = make_fund(name="甲资金")
    anonymous = app.test_client()
    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    donor = app.test_client()
    donor.post("/login", data={"login": "donor-wang", "password": PASSWORD})
    donor.get("/")  # the welcome message, flashed once
    kept = {}
    for url in KEPT:
        fresh, front = served_in_front(app, anonymous, url)
        assert fresh.status_code == 200 and not front, url
        for visitor in (anonymous, donor):
            again, front = served_in_front(app, visitor, url)
            assert front and again.data == fresh.data, url
            assert again.headers["Content-Type"] == fresh.headers["Content-Type"], url
            assert again.headers["ETag"] == fresh.headers["ETag"], url
        tag = fresh.headers["ETag"]
        assert anonymous.get(url, headers={"If-None-Match": tag}).status_code == 304, url
        kept[url] = fresh.data
    assert str(first.id).encode() in kept["/api/v1/funds"]
    second = make_fund(name="乙资金")
    for url in ("/funds/export.csv", "/api/v1/funds", "/funds/ledger.json"):
        assert anonymous.get(url).data != kept[url], url
    assert "乙资金" in anonymous.get("/funds/export.csv").text
    assert b'"total":2' in anonymous.get("/api/v1/funds").data
    assert f"/funds/{second.id}".encode() in anonymous.get("/sitemap.xml").data
    # A fresh render gives what was kept.
    app.config["PAGE_CACHE"] = False
    try:
        for url in KEPT:
            assert anonymous.get(url).data == app.test_client().get(url).data, url
    finally:
        app.config["PAGE_CACHE"] = True


def test_a_refusal_is_not_kept_and_a_large_export_streams_on(app: Flask, client,
                                                             regions: dict[str, str],
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    assert client.get("/api/v1/funds/999999").status_code == 404
    make_fund(name="甲资金")
    make_fund(name="乙资金")
    monkeypatch.setattr(data, "MAX_BODY", 100)
    monkeypatch.setattr(export, "MAX_KEPT", 100)  # too large to remember: it streams
    big = client.get("/funds/export.csv")
    assert big.status_code == 200 and "ETag" not in big.headers
    monkeypatch.undo()
    assert client.get("/funds/export.csv").data == big.data


def test_the_kept_health_check_asks_the_database_on_every_request(tmp_path: Path) -> None:
    """Kept or not, /healthz answers 503 as soon as the database does not answer, and 200 from
    the front again once it does."""
    folder = tmp_path / "database"
    folder.mkdir()
    app = create_app(make_config(tmp_path, f"sqlite:///{folder / 'site.sqlite'}"))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    kept, front = served_in_front(app, client, "/healthz")
    assert kept.status_code == 200 and front and kept.get_json() == {"status": "ok"}
    with app.app_context():
        db.engine.dispose()  # a new connection cannot open the file in a folder that is gone
    folder.rename(tmp_path / "gone")
    for _ in range(2):
        down, front = served_in_front(app, client, "/healthz")
        assert down.status_code == 503 and not front
        assert down.get_json() == {"status": "database unavailable"}
    (tmp_path / "gone").rename(folder)
    back, front = served_in_front(app, client, "/healthz")
    assert back.status_code == 200 and front and back.data == kept.data
