"""The Whoosh index on disk with jieba: rebuild, Chinese queries, filters, escaping."""

from __future__ import annotations

import pytest

from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.registry import SearchDoc, registry
from sunshine.search.index import rebuild, search, update
from tests.conftest import COUNTY_PREFIX, SAMPLE

pytestmark = pytest.mark.postgres

#: The sample county's name without 区 or 县, e.g. 兴宁 for 兴宁区: a word found in that name.
COUNTY_WORD = SAMPLE["county_name"][:-1]
#: The region_path facet values of the two sample cities (4501 and 4502 in Guangxi).
CITY_PATH, FAR_CITY_PATH = SAMPLE["city"][:4], SAMPLE["far_city"][:4]


def test_rebuild_indexes_regions_and_finds_them_by_chinese_name(app, regions) -> None:
    counts = rebuild(app.config["SEARCH_INDEX_DIR"])
    assert counts["region"] == db.session.query(Region).count()
    results = search(app.config["SEARCH_INDEX_DIR"], COUNTY_WORD)
    assert results.hits and results.hits[0].title == SAMPLE["county_name"]
    assert results.hits[0].url == f"/stats/{SAMPLE['county']}"
    assert f"<mark>{COUNTY_WORD}</mark>" in results.hits[0].snippet


def test_filters_by_type_and_region_subtree(app, regions) -> None:
    rebuild(app.config["SEARCH_INDEX_DIR"])
    everywhere = search(app.config["SEARCH_INDEX_DIR"], SAMPLE["city_name"])
    within = search(app.config["SEARCH_INDEX_DIR"], SAMPLE["city_name"], region=SAMPLE["county"])
    assert within.total < everywhere.total
    assert all(h.region_code.startswith(COUNTY_PREFIX) for h in within.hits)
    city_word = SAMPLE["city_name"][:-1]
    assert search(app.config["SEARCH_INDEX_DIR"], city_word, doc_type="news").total == 0


def test_indexed_text_is_escaped_in_snippets(app) -> None:
    def evil():
        yield SearchDoc(id="test:1", type="news", title="<b>标题</b>",
                        body="危房改造 <script>alert(1)</script> 补助标准", url="/x")

    registry().add_search_source("test", evil)

    try:
        rebuild(app.config["SEARCH_INDEX_DIR"])
        hit = search(app.config["SEARCH_INDEX_DIR"], "危房改造").hits[0]
        assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    finally:
        registry().search_sources.pop("test")


def test_empty_or_missing_index_answers_nothing(app) -> None:
    assert search(app.config["SEARCH_INDEX_DIR"], "扶贫").total == 0
    assert search(app.config["SEARCH_INDEX_DIR"], "   ").total == 0


def test_search_page_lists_hits_and_has_an_empty_state(app, client, regions) -> None:
    rebuild(app.config["SEARCH_INDEX_DIR"])
    page = client.get(f"/search?q={COUNTY_WORD}").get_data(as_text=True)
    assert SAMPLE["county_name"] in page and "找到" in page
    none = client.get("/search?q=完全不存在的词语组合").get_data(as_text=True)
    assert "没有找到" in none
    assert client.get(f"/search?q={COUNTY_WORD}&type=bogus&region=x&page=abc").status_code == 200


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

    def docs():
        for key, body in texts.items():
            yield SearchDoc(id=f"test:{key}", type="news", title=f"文档{key}", body=body,
                            url=f"/x/{key}")

    registry().add_search_source("test", docs)

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
        registry().search_sources.pop("test")


def test_facets_count_matches_by_type_region_and_year_and_narrow(app, client, regions) -> None:
    def docs():
        for n in range(6):
            yield SearchDoc(id=f"test:{n}", type="news" if n < 4 else "policy",
                            title=f"光伏扶贫电站{n}", body="村里建起光伏扶贫电站。",
                            url=f"/x/{n}",
                            region_code=SAMPLE["county"] if n % 2 else SAMPLE["far_county"],
                            date="2019-05-01" if n < 3 else "2020-01-02")

    registry().add_search_source("test", docs)

    try:
        rebuild(app.config["SEARCH_INDEX_DIR"])
        facets = {"type": ["news", "policy"], "year": ["2019", "2020"],
                  "region_path": [CITY_PATH, FAR_CITY_PATH]}
        found = search(app.config["SEARCH_INDEX_DIR"], "光伏", facets=facets)
        assert found.total == 6
        assert found.facets == {"type": {"news": 4, "policy": 2},
                                "year": {"2019": 3, "2020": 3},
                                "region_path": {CITY_PATH: 3, FAR_CITY_PATH: 3}}
        narrowed = search(app.config["SEARCH_INDEX_DIR"], "光伏", year="2019", facets=facets)
        assert narrowed.total == 3 and narrowed.facets["type"] == {"news": 3, "policy": 0}
        page = client.get("/search?q=光伏").get_data(as_text=True)
        assert "按年份" in page and "2019年" in page and SAMPLE["city_name"] in page
        in_city = f"/search?q=光伏&year=2020&region={SAMPLE['city']}"
        only = client.get(in_city).get_data(as_text=True)
        assert f"找到 2 条结果（{SAMPLE['city_name']}）（2020年）" in only and "全部年份" in only
        # The cached page follows an update of the index at once.
        update(app.config["SEARCH_INDEX_DIR"], [SearchDoc(
            id="test:9", type="news", title="光伏新闻", body="光伏", url="/x/9",
            region_code=SAMPLE["county"], date="2020-03-03")], [])
        again = client.get(in_city).get_data(as_text=True)
        assert "找到 3 条结果" in again
    finally:
        registry().search_sources.pop("test")


def test_parallel_rebuild_makes_the_same_index_as_one_writer(app, tmp_path) -> None:
    """The forked multi-segment writer (used from PARALLEL_THRESHOLD documents up) indexes
    every document once, with the same hits as one writer."""
    def docs():
        for n in range(120):
            yield SearchDoc(id=f"test:{n}", type="news", title=f"第{n}号文件",
                            body=("产业扶贫" if n % 3 else "危房改造") + f"项目进展{n}",
                            url=f"/x/{n}")

    registry().add_search_source("test", docs)

    try:
        one, two = tmp_path / "one", tmp_path / "two"
        assert rebuild(one, procs=1)["test"] == 120
        assert rebuild(two, procs=2)["test"] == 120
        for query in ("产业扶贫", '"危房改造"', "项目"):
            a, b = search(one, query, per_page=200), search(two, query, per_page=200)
            assert a.total == b.total > 0
            assert sorted(h.url for h in a.hits) == sorted(h.url for h in b.hits)
        from whoosh import index as whoosh_index
        with whoosh_index.open_dir(str(two)).searcher() as searcher:
            assert searcher.doc_count() == 120
    finally:
        registry().search_sources.pop("test")


def test_facet_links_are_written_as_url_with_writes_them(app) -> None:
    from sunshine.search.views import FacetLinks
    from sunshine.templating import url_with

    query = "/search?q=危房+改造&type=news&region=450000000000&page=3&year=2020"
    with app.test_request_context(query):
        links = FacetLinks()
        for changes in ({}, {"type": None, "page": None}, {"year": "2019", "page": None},
                        {"region": "450100000000"}, {"q": "a&b=c/d", "type": "policy"},
                        {"page": "2"}):
            assert links(**changes) == url_with(**changes), changes
