"""The numpy ranking gives Whoosh's own BM25F ranking and counts, phrases included."""

from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.query import And, Term

from sunshine.registry import SearchDoc, registry
from sunshine.search import index as search_index
from sunshine.search import ranking, searchers
from sunshine.search.index import rebuild, update
from tests.conftest import COUNTY_PREFIX, SAMPLE

#: Words to make documents of (南宁, 柳州 and 百色 are plain words here, not regions).
WORDS = ("扶贫 产业 项目 教育 资助 政策 危房 改造 补助 就业 培训 小额 信贷 搬迁 安置 合作社 "
         "光伏 电站 村民 收入 增加 医疗 保险 兜底 保障 南宁 柳州 百色").split()
QUERIES = ["扶贫", "产业 扶贫", "教育 资助 政策", '"产业扶贫"', '"危房改造补助"', "光伏",
           '"小额信贷" 村民', "合作社 OR 电站", "不存在的词语", "南宁"]


@pytest.fixture
def corpus(app):
    rng = random.Random(5)

    def docs():
        for n in range(240):
            body = "".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120)))
            title = "".join(rng.choice(WORDS) for _ in range(3))
            yield SearchDoc(id=f"test:{n}", type="news" if n % 3 else "policy", title=title,
                            body=body, url=f"/x/{n}", region_code=f"{COUNTY_PREFIX}001001"
                            if n % 2 else SAMPLE["far_county"])

    registry().add_search_source("test", docs)

    rebuild(app.config["SEARCH_INDEX_DIR"])
    # A second segment and deletions, as after incremental updates.
    update(app.config["SEARCH_INDEX_DIR"], [SearchDoc(
        id="test:new", type="news", title="产业扶贫新闻", body="产业扶贫项目带动村民增加收入",
        url="/x/new")], ["test:3", "test:4", "test:10"])
    yield app.config["SEARCH_INDEX_DIR"]
    registry().search_sources.pop("test")


def _whoosh(searcher, query) -> dict[int, float]:
    return {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}


def test_top_documents_and_count_are_whooshs(corpus) -> None:
    searcher = searchers.open_searcher(corpus)
    assert len(searcher.leaf_searchers()) >= 2
    parser = MultifieldParser(["title", "body"], schema=searcher.schema, group=OrGroup)
    for text in QUERIES:
        for narrow in [None, Term("type", "news"), Term("region_path", COUNTY_PREFIX)]:
            query = parser.parse(text).accept(search_index._verified_phrases)
            if narrow is not None:
                query = And([query, narrow])
            assert ranking.supported(query), text
            # Whoosh's own scores (and phrase matcher) as the reference; a filter narrows.
            reference = _whoosh(searcher, parser.parse(text))
            if narrow is not None:
                kept = set(_whoosh(searcher, And([parser.parse(text), narrow])))
                reference = {d: s for d, s in reference.items() if d in kept}
            ranked = ranking.run(searcher, query, 10)
            docnums, total = ranked.docnums, ranked.total
            assert total == len(reference), (text, narrow)
            got = [reference[d] for d in docnums]
            best = sorted(reference.values(), reverse=True)[:10]
            assert got == pytest.approx(best, rel=1e-4), (text, narrow)
            assert got == sorted(got, reverse=True)
    assert any(_whoosh(searcher, parser.parse(q)) for q in QUERIES if q.startswith('"'))


def test_other_queries_keep_whooshs_collector(corpus) -> None:
    """A wildcard is not ranked here; the service still answers it."""
    searcher = searchers.open_searcher(corpus)
    parser = MultifieldParser(["title", "body"], schema=searcher.schema, group=OrGroup)
    assert not ranking.supported(parser.parse("产业*"))
    assert search_index.search(corpus, "产业*").total > 0


def test_kept_arrays_stay_within_their_budget_oldest_out_first(monkeypatch) -> None:
    from sunshine.search import docsets

    class Reader:  # any object a weak reference can point to
        pass

    reader = Reader()
    monkeypatch.setattr(docsets, "CACHE_BYTES", 3000)
    built: list[int] = []

    def array(n: int):
        built.append(n)
        return np.zeros(1000, dtype=np.uint8) + n  # 1000 bytes

    for n in range(5):
        assert docsets.cached(reader, ("a", n), lambda n=n: array(n))[0] == n
    kept = docsets._BITS[reader]
    assert list(kept.entries) == [("a", 2), ("a", 3), ("a", 4)] and kept.bytes == 3000
    assert docsets.cached(reader, ("a", 4), lambda: array(99))[0] == 4  # kept: not built again
    assert built == [0, 1, 2, 3, 4]


def test_field_lengths_read_in_one_piece_are_whooshs(corpus) -> None:
    searcher = searchers.open_searcher(corpus)
    for leaf, _ in searcher.leaf_searchers():
        reader = leaf.reader()
        count = reader.doc_count_all()
        for field in ("title", "body", "title_gram", "body_gram", "pinyin", "initials"):
            column = ranking._length_column(reader, field, count)
            assert column is not None, field
            expected = [reader.doc_field_length(d, field) or 0 for d in range(count)]
            assert column.tolist() == expected, field
