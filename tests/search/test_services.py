"""The Whoosh index on disk with jieba: rebuild, Chinese queries, filters, escaping."""

from __future__ import annotations

from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.search.index import SearchDoc, SOURCES, rebuild, register_source, search, update


def test_rebuild_indexes_regions_and_finds_them_by_chinese_name(app, regions) -> None:
    counts = rebuild(app.config["SEARCH_INDEX_DIR"])
    assert counts["region"] == db.session.query(Region).count()
    results = search(app.config["SEARCH_INDEX_DIR"], "兴宁")
    assert results.hits and results.hits[0].title == "兴宁区"
    assert results.hits[0].url == "/stats/450102000000"
    assert "<mark>兴宁</mark>" in results.hits[0].snippet


def test_filters_by_type_and_region_subtree(app, regions) -> None:
    rebuild(app.config["SEARCH_INDEX_DIR"])
    everywhere = search(app.config["SEARCH_INDEX_DIR"], "南宁市")
    within = search(app.config["SEARCH_INDEX_DIR"], "南宁市", region="450102000000")
    assert within.total < everywhere.total
    assert all(h.region_code.startswith("450102") for h in within.hits)
    assert search(app.config["SEARCH_INDEX_DIR"], "南宁", doc_type="news").total == 0


def test_indexed_text_is_escaped_in_snippets(app) -> None:
    @register_source("test")
    def evil():
        yield SearchDoc(id="test:1", type="news", title="<b>标题</b>",
                        body="危房改造 <script>alert(1)</script> 补助标准", url="/x")

    try:
        rebuild(app.config["SEARCH_INDEX_DIR"])
        hit = search(app.config["SEARCH_INDEX_DIR"], "危房改造").hits[0]
        assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    finally:
        SOURCES.pop("test")


def test_empty_or_missing_index_answers_nothing(app) -> None:
    assert search(app.config["SEARCH_INDEX_DIR"], "扶贫").total == 0
    assert search(app.config["SEARCH_INDEX_DIR"], "   ").total == 0


def test_search_page_lists_hits_and_has_an_empty_state(app, client, regions) -> None:
    rebuild(app.config["SEARCH_INDEX_DIR"])
    page = client.get("/search?q=兴宁").get_data(as_text=True)
    assert "兴宁区" in page and "找到" in page
    none = client.get("/search?q=完全不存在的词语组合").get_data(as_text=True)
    assert "没有找到" in none
    assert client.get("/search?q=兴宁&type=bogus&region=x&page=abc").status_code == 200


def test_phrases_match_neighbouring_words_only(app) -> None:
    """A quoted phrase matches its words side by side (also inside a longer word), not the
    same words apart, across another word or in the other order; hits are counted exactly."""
    texts = {
        "1": "今年全县大力发展产业扶贫项目。",
        "2": "扶贫产业发展很快，带动就业。",  # both words, other order
        "3": "产业发展和精准扶贫都有进展。",  # both words, apart
        "4": "产业扶贫办公室召开会议。",  # 扶贫 inside the longer word 扶贫办
        "5": "推进产业的扶贫工作。",  # apart: the stop word 的 keeps its position
    }

    @register_source("test")
    def docs():
        for key, body in texts.items():
            yield SearchDoc(id=f"test:{key}", type="news", title=f"文档{key}", body=body,
                            url=f"/x/{key}")

    try:
        rebuild(app.config["SEARCH_INDEX_DIR"])
        found = search(app.config["SEARCH_INDEX_DIR"], '"产业扶贫"')
        assert sorted(h.url for h in found.hits) == ["/x/1", "/x/4"]
        assert found.total == 2
        assert "<mark>产业</mark>" in found.hits[0].snippet or "<mark>产业扶贫" in \
            found.hits[0].snippet
        words = search(app.config["SEARCH_INDEX_DIR"], "产业 扶贫")
        assert words.total == 5
        three = search(app.config["SEARCH_INDEX_DIR"], '"发展产业扶贫项目"')
        assert [h.url for h in three.hits] == ["/x/1"]
        # A deleted document leaves the phrase's hits; a new one (another segment) joins.
        update(app.config["SEARCH_INDEX_DIR"], [SearchDoc(
            id="test:6", type="news", title="文档6", body="产业扶贫带动增收", url="/x/6")],
            ["test:1"])
        again = search(app.config["SEARCH_INDEX_DIR"], '"产业扶贫"')
        assert sorted(h.url for h in again.hits) == ["/x/4", "/x/6"] and again.total == 2
    finally:
        SOURCES.pop("test")
