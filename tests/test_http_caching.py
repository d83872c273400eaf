"""HTTP caching: validators and 304s, fingerprinted static URLs, gzip (sunshine/httpcache.py)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.accounts.models import Role
from sunshine.content import services
from sunshine.stats import rollup
from tests.apps import PASSWORD
from tests.conftest import SAMPLE
from tests.content.conftest import write_news
from tests.factories import make_user
from tests.stats.conftest import insert_register, make_register

ARTICLE = "/news/chanye-2020"
GZIP = {"Accept-Encoding": "gzip, deflate"}


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    root = tmp_path / "content"
    write_news(root, "chanye-2020", "兴宁区产业扶贫见成效", body="全县推进产业扶贫工作。" * 40,
               region=SAMPLE["county"])
    return {"CONTENT_DIR": str(root)}


@pytest.fixture(autouse=True)
def article(app: Flask, regions: dict[str, str], tmp_path: Path) -> None:
    services.sync_folder(tmp_path / "content")


def _fetch(client: FlaskClient, path: str, headers: dict[str, str] | None = None) -> Any:
    """A static file's answer, read and closed (it holds the file open until then)."""
    with client.get(path, headers=headers or {}) as response:
        response.get_data()
    return response


def _tag(response: Any) -> str:
    return response.headers["ETag"]


def test_a_cached_public_page_answers_304_to_its_own_tag(client: FlaskClient) -> None:
    first = client.get(ARTICLE)
    assert first.status_code == 200 and "兴宁区产业扶贫见成效" in first.text
    assert re.fullmatch(r'"[0-9a-f]{32}"', _tag(first))
    assert "Cookie" in first.headers["Vary"] and first.headers["Cache-Control"] == "no-cache"
    again = client.get(ARTICLE, headers={"If-None-Match": _tag(first)})
    assert again.status_code == 304 and again.data == b""
    assert _tag(again) == _tag(first) and "Content-Length" not in again.headers
    head = client.head(ARTICLE, headers={"If-None-Match": _tag(first)})
    assert head.status_code == 304
    other = client.get(ARTICLE, headers={"If-None-Match": '"0123456789abcdef"'})
    assert other.status_code == 200 and other.data == first.data
    # If-None-Match compares weakly and may list several tags, or "*".
    for sent in (f"W/{_tag(first)}", f'"0123456789abcdef", {_tag(first)}', "*"):
        assert client.get(ARTICLE, headers={"If-None-Match": sent}).status_code == 304, sent
    for sent in (f'"{_tag(first)}"', f"{_tag(first)}x", f'"{_tag(first)[1:-1]}-gzip"'):
        assert client.get(ARTICLE, headers={"If-None-Match": sent}).status_code == 200, sent


def test_head_has_the_headers_of_get_and_no_body(client: FlaskClient) -> None:
    get = client.get(ARTICLE, headers=GZIP)
    head = client.head(ARTICLE, headers=GZIP)
    assert head.status_code == 200 and head.data == b""
    for name in ("ETag", "Content-Length", "Content-Encoding", "Vary", "Content-Type"):
        assert head.headers[name] == get.headers[name], name


def test_a_no_store_page_has_no_validator_and_never_304(app: Flask, client: FlaskClient,
                                                        regions: dict[str, str]) -> None:
    make_user("donor-li", Role.DONOR, None)
    client.post("/login", data={"login": "donor-li", "password": PASSWORD})
    assert client.get("/admin/").status_code == 403
    mine = client.get("/help/mine")
    assert mine.status_code == 200 and mine.headers["Cache-Control"] == "no-store"
    assert "ETag" not in mine.headers
    client.post("/logout")
    make_user("admin", Role.ADMIN, regions["province"])
    client.post("/login", data={"login": "admin", "password": PASSWORD})
    for path in ("/admin/", "/complaints/track", "/login"):
        first = client.get(path)
        assert first.status_code == 200, path
        assert "no-store" in first.headers["Cache-Control"], path
        assert "ETag" not in first.headers and "Last-Modified" not in first.headers, path
        again = client.get(path, headers={"If-None-Match": "*"})
        assert again.status_code == 200, path


def test_two_sessions_never_see_each_others_login_state(app: Flask,
                                                        regions: dict[str, str]) -> None:
    make_user("donor-zhang", Role.DONOR, None, display_name="张爱心")
    anonymous, donor = app.test_client(), app.test_client()
    donor.post("/login", data={"login": "donor-zhang", "password": PASSWORD})
    public = anonymous.get(ARTICLE)
    own = donor.get(ARTICLE)
    assert "张爱心" in own.text and "张爱心" not in public.text
    assert _tag(public) != _tag(own)
    # Each one's tag replayed by the other gets the other's own full page, not a 304.
    crossed = anonymous.get(ARTICLE, headers={"If-None-Match": _tag(own)})
    assert crossed.status_code == 200 and "张爱心" not in crossed.text
    crossed = donor.get(ARTICLE, headers={"If-None-Match": _tag(public)})
    assert crossed.status_code == 200 and "张爱心" in crossed.text
    # A page with a form (the logout button's token) is new on every request: never a 304.
    again = donor.get(ARTICLE, headers={"If-None-Match": _tag(own)})
    assert again.status_code == 304 or "张爱心" in again.text
    assert anonymous.get(ARTICLE, headers={"If-None-Match": _tag(public)}).status_code == 304


def test_static_urls_carry_the_files_hash_and_are_immutable(app: Flask,
                                                            client: FlaskClient) -> None:
    page = client.get(ARTICLE).text
    css = re.search(r'href="(/static/css/site\.css\?v=([0-9a-f]{12}))"', page)
    assert css is not None, "the stylesheet's URL has no version"
    assert app.static_folder is not None
    import hashlib

    content = (Path(app.static_folder) / "css" / "site.css").read_bytes()
    assert css.group(2) == hashlib.sha256(content).hexdigest()[:12]
    versioned = _fetch(client, css.group(1))
    assert versioned.status_code == 200 and versioned.data == content
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for path in ("/static/css/site.css", "/static/css/site.css?v=000000000000"):
        plain = _fetch(client, path)
        assert plain.data == content
        assert plain.headers["Cache-Control"] == "public, max-age=300"
    # Every static URL in the page goes through url_for, so every one has its version.
    for url in re.findall(r'(?:href|src)="(/static/[^"]*)"', page):
        assert "?v=" in url, url


def test_static_css_is_gzipped_once_and_still_answers_304(client: FlaskClient) -> None:
    plain = _fetch(client, "/static/css/site.css")
    packed = _fetch(client, "/static/css/site.css", GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert _tag(packed) == _tag(plain)[:-1] + '-gzip"'
    again = _fetch(client, "/static/css/site.css", {**GZIP, "If-None-Match": _tag(packed)})
    assert again.status_code == 304


def test_gzip_answer_is_the_same_page(client: FlaskClient) -> None:
    plain = client.get(ARTICLE)
    packed = client.get(ARTICLE, headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
    # Another representation, another tag; each answers 304 to its own.
    assert _tag(packed) == _tag(plain)[:-1] + '-gzip"'
    again = client.get(ARTICLE, headers={**GZIP, "If-None-Match": _tag(packed)})
    assert again.status_code == 304 and "Content-Encoding" not in again.headers
    refused = client.get(ARTICLE, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data


def test_small_answers_are_not_compressed(client: FlaskClient) -> None:
    robots = client.get("/robots.txt", headers=GZIP)
    assert robots.status_code == 200 and len(robots.data) < 500
    assert "Content-Encoding" not in robots.headers


def test_an_atom_feed_is_compressed(client: FlaskClient) -> None:
    plain = client.get("/feeds/news.xml")
    packed = client.get("/feeds/news.xml", headers=GZIP)
    assert plain.mimetype == "application/atom+xml"
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data


def test_a_streamed_csv_export_is_compressed_as_it_streams(app: Flask, client: FlaskClient,
                                                           regions: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from sunshine.records import export

    # Kept and remembered exports are sent whole: with neither, an export streams.
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    monkeypatch.setattr(export, "MAX_KEPT", 0)
    plain = client.get("/funds/export.csv")
    assert plain.is_streamed or "Content-Length" not in plain.headers
    packed = client.get("/funds/export.csv", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in packed.headers
    assert gzip.decompress(packed.data) == plain.data
    assert plain.data.startswith("\ufeff".encode())


def test_the_front_cache_answers_304_and_gzip(app: Flask, client: FlaskClient,
                                              regions: dict[str, str]) -> None:
    insert_register(make_register(count=60))
    rollup.rebuild_all()
    page = f"/stats/{SAMPLE['county']}"
    first = client.get(page)  # rendered by Flask, kept
    front = app.test_client()
    kept = front.get(page)
    assert kept.data == first.data and _tag(kept) == _tag(first)
    assert front.get(page, headers={"If-None-Match": _tag(first)}).status_code == 304
    packed = front.get(page, headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == first.data
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert "Accept-Encoding" in packed.headers["Vary"] and "Cookie" in packed.headers["Vary"]
    again = front.get(page, headers={**GZIP, "If-None-Match": _tag(packed)})
    assert again.status_code == 304 and again.data == b""
    head = front.head(page, headers=GZIP)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == packed.headers["Content-Length"]


def test_the_record_lists_cached_pages_answer_304(client: FlaskClient) -> None:
    for path in ("/funds/", "/projects/"):
        first = client.get(path)
        assert first.status_code == 200, path
        again = client.get(path, headers={"If-None-Match": _tag(first)})
        assert again.status_code == 304, path
