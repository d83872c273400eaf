from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from sunshine.content import services
from sunshine.search.index import rebuild
from tests.conftest import apply_search
from tests.factories import make_user

ATOM = "{http://www.w3.org/2005/Atom}"


def _load(app, content_dir) -> None:
    services.sync_folder(content_dir)
    rebuild(app.config["SEARCH_INDEX_DIR"])


def test_lists_filter_paginate_and_show_an_empty_state(app, client, regions, content_dir) -> None:
    _load(app, content_dir)
    page = client.get("/policies/").get_data(as_text=True)
    assert "2019年农村危房改造补助标准" in page and "扶贫小额信贷政策" in page
    assert "旧的教育资助办法" not in page
    assert "旧的教育资助办法" in client.get("/policies/?expired=1").get_data(as_text=True)
    filtered = client.get("/policies/?topic=小额信贷").get_data(as_text=True)
    assert "扶贫小额信贷政策" in filtered and "危房改造补助标准</a>" not in filtered
    empty = client.get("/news/?year=2001").get_data(as_text=True)
    assert "没有符合条件" in empty
    junk = client.get("/news/?year=abc&level=x&region=1&page=-3&category=<b>")
    assert junk.status_code == 200


def test_article_page_has_breadcrumbs_meta_related_and_update_note(app, client, regions,
                                                                   content_dir) -> None:
    _load(app, content_dir)
    page = client.get("/policies/weifang-2019").get_data(as_text=True)
    assert 'aria-label="当前位置"' in page and "广西壮族自治区扶贫开发办公室" in page
    assert "<table>" in page
    assert client.get("/policies/no-such-policy").status_code == 404
    assert client.get("/news/weifang-2019").status_code == 404  # a policy is not news


def test_guide_narrows_policies_by_situation_without_storing(app, client, regions,
                                                             content_dir) -> None:
    _load(app, content_dir)
    page = client.get("/policies/guide?s=house").get_data(as_text=True)
    assert "2019年农村危房改造补助标准" in page and "扶贫小额信贷政策" not in page
    both = client.get("/policies/guide?s=house&s=business").get_data(as_text=True)
    assert "扶贫小额信贷政策" in both
    assert "请先勾选" in client.get("/policies/guide?s=bogus").get_data(as_text=True)


def test_feeds_are_atom_and_follow_region_and_topic(app, client, regions, content_dir) -> None:
    _load(app, content_dir)
    feed = ET.fromstring(client.get("/feeds/policies.xml").data)
    assert feed.tag == f"{ATOM}feed"
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert "2019年农村危房改造补助标准" in titles
    for entry in feed.findall(f"{ATOM}entry"):
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}updated")
    topic = ET.fromstring(client.get("/feeds/policies.xml?topic=小额信贷").data)
    titles = [e.findtext(f"{ATOM}title") for e in topic.findall(f"{ATOM}entry")]
    assert titles == ["扶贫小额信贷政策"]
    village = ET.fromstring(client.get("/feeds/news.xml?region=450103101201").data)
    assert village.findall(f"{ATOM}entry") == []
    own = ET.fromstring(client.get("/feeds/news.xml?region=450102101201").data)
    assert len(own.findall(f"{ATOM}entry")) == 1
    assert "/feeds/policies.xml?topic=" in client.get("/policies/?topic=小额信贷").get_data(True)


def test_api_lists_news_and_policies(app, client, regions, content_dir) -> None:
    _load(app, content_dir)
    data = client.get("/api/v1/policies?per_page=1").get_json()
    assert data["total"] == 2 and data["page"] == 1 and data["per_page"] == 1
    assert len(data["items"]) == 1 and data["items"][0]["region"]["code"] == "450000000000"
    news = client.get("/api/v1/news").get_json()
    assert news["items"][0]["slug"] == "chanye-2020"


def test_search_finds_a_phrase_from_a_body(app, client, regions, content_dir) -> None:
    _load(app, content_dir)
    page = client.get('/search?q="产业扶贫"').get_data(as_text=True)
    assert "兴宁区产业扶贫见成效" in page
    policy = client.get("/search?q=免担保&type=policy").get_data(as_text=True)
    assert "扶贫小额信贷政策" in policy


def test_editor_writes_previews_and_publishes_and_search_finds_it(app, client, regions) -> None:
    make_user("editor-ed", role="editor", region_code="450102000000")
    client.post("/login", data={"login": "editor-ed", "password": "correct-horse-battery-9"})
    form = {"title": "兴宁区发放春耕种子", "slug": "chungeng-2024", "category": "工作动态",
            "level": "县", "region_code": "450102000000", "issuer": "兴宁区扶贫办",
            "published_on": "2024-03-01", "summary": "春耕", "tags": "春耕 种子",
            "body_md": "## 发放\n\n向 **300 户** 发放玉米种子。<script>alert(1)</script>"}
    preview = client.post("/admin/content/new?kind=news", data={**form, "action": "preview"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<strong>300 户</strong>" in text
    assert "<script>alert(1)</script>" not in text
    leaky = client.post("/admin/content/new?kind=news",
                        data={**form, "body_md": "联系 13812345678", "action": "publish"})
    assert leaky.status_code == 400 and "手机号" in leaky.get_data(as_text=True)
    done = client.post("/admin/content/new?kind=news", data={**form, "action": "publish"})
    assert done.status_code == 302
    assert client.get("/news/chungeng-2024").status_code == 200
    apply_search(app)
    assert "兴宁区发放春耕种子" in client.get("/search?q=玉米种子").get_data(as_text=True)
    other = client.post("/admin/content/new?kind=news",
                        data={**form, "slug": "x2", "region_code": "450103000000",
                              "action": "save"})
    assert other.status_code == 400 and "负责范围" in other.get_data(as_text=True)


@pytest.mark.parametrize("page_cache", [True, False])
def test_article_pages_follow_every_change(app, client, regions, content_dir,
                                           page_cache) -> None:
    """Article pages come from the worker's page cache, or without it from the article's
    remembered data, but an edit, a new related article or an unpublication shows on the very
    next request."""
    from tests.content.conftest import write_policy

    app.config["PAGE_CACHE"] = page_cache
    _load(app, content_dir)
    first = client.get("/policies/weifang-2019").get_data(as_text=True)
    assert first == client.get("/policies/weifang-2019").get_data(as_text=True)
    write_policy(content_dir, "weifang-2019", "2019年农村危房改造补助标准（修订）")
    write_policy(content_dir, "weifang-2020", "2020年危房改造新规定", date="2020-02-01")
    services.sync_folder(content_dir)
    page = client.get("/policies/weifang-2019").get_data(as_text=True)
    assert "（修订）" in page and "2020年危房改造新规定" in page  # related list follows too
    (content_dir / "policies" / "2020-02-01-weifang-2020.md").unlink()
    services.sync_folder(content_dir)
    assert client.get("/policies/weifang-2020").status_code == 404
    assert "2020年危房改造新规定" not in client.get("/policies/weifang-2019").get_data(
        as_text=True)


def test_the_year_menu_follows_a_new_article_without_the_page_cache(app, client, regions,
                                                                     content_dir) -> None:
    """The list's years are kept per worker between changes: a policy of a new year is in
    the menu on the next request."""
    from tests.content.conftest import write_policy

    app.config["PAGE_CACHE"] = False
    _load(app, content_dir)
    assert '<option value="2021">' not in client.get("/policies/").get_data(as_text=True)
    write_policy(content_dir, "weifang-2021", "2021年危房改造新规定", date="2021-02-01")
    services.sync_folder(content_dir)
    page = client.get("/policies/").get_data(as_text=True)
    assert '<option value="2021">' in page and "2021年危房改造新规定" in page


def test_the_home_page_shows_new_news_at_once_without_the_page_cache(app, client, regions,
                                                                     content_dir) -> None:
    """The home page's latest news are remembered per worker until an article changes."""
    from tests.content.conftest import write_news

    app.config["PAGE_CACHE"] = False
    _load(app, content_dir)
    assert "刚刚发布的扶贫新闻" not in client.get("/").get_data(as_text=True)
    write_news(content_dir, "just-now", "刚刚发布的扶贫新闻", date="2030-01-01")
    services.sync_folder(content_dir)
    assert "刚刚发布的扶贫新闻" in client.get("/").get_data(as_text=True)


def test_the_api_and_feeds_follow_a_new_article_without_the_page_cache(
        app, client, regions, content_dir) -> None:
    """A page of the API's list and a feed's articles are remembered per worker until an
    article changes; the API's links follow the address the request came to."""
    from tests.content.conftest import write_policy

    app.config["PAGE_CACHE"] = False
    _load(app, content_dir)
    total = client.get("/api/v1/policies").get_json()["total"]
    assert "2021年危房改造新规定" not in client.get("/feeds/policies.xml").text
    write_policy(content_dir, "weifang-2021", "2021年危房改造新规定", date="2021-02-01")
    services.sync_folder(content_dir)
    data = client.get("/api/v1/policies").get_json()
    assert data["total"] == total + 1 and data["items"][0]["title"] == "2021年危房改造新规定"
    assert data["items"][0]["url"] == "http://localhost/policies/weifang-2021"
    other = client.get("/api/v1/policies", base_url="https://example.org").get_json()
    assert other["items"][0]["url"] == "https://example.org/policies/weifang-2021"
    assert "2021年危房改造新规定" in client.get("/feeds/policies.xml").text
