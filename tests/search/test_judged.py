"""The judged query set (tests/search/judged.py) on a small corpus: recall and MRR by kind."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from sunshine.content.services import sync_folder
from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.registry import SearchDoc, registry
from sunshine.search import synonyms
from sunshine.search.index import rebuild, search
from sunshine.search.suggest import best_bets
from tests.search.judged import Doc, Place, measure, misses, short_name, write_queries

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from search_corpus import TextMaker  # noqa: E402

#: Generated documents besides the demo's articles: enough for common words to crowd a page.
CORPUS = 400


@pytest.fixture
def judged(app, regions):
    sync_folder(Path(app.config["CONTENT_DIR"]))
    synonyms.load_demo_groups(None)
    db.session.commit()
    maker = TextMaker(11)
    made = []
    for n in range(CORPUS):
        title, body = maker.document(maker.rng.randint(300, 900))
        made.append(SearchDoc(id=f"test:{n}", type="news", title=title, body=body,
                              url=f"/x/{n}", date="2020-01-01"))
    registry().add_search_source("test", lambda: iter(made))
    try:
        rebuild(app.config["SEARCH_INDEX_DIR"])
        index = app.config["SEARCH_INDEX_DIR"]
        docs = [Doc(h.url, h.title, body) for h, body in _articles(index)]
        docs += [Doc(d.url, d.title, d.body) for d in made]
        places = [Place(f"/stats/{r.code}", r.name, short_name(r.name)) for r in
                  db.session.execute(select(Region).where(Region.level.in_((2, 3)))).scalars()]
        groups = [g.word_list for g in synonyms.list_groups()]
        yield index, write_queries(docs, places, groups)
    finally:
        registry().search_sources.pop("test")


def _articles(index):
    from sunshine.search.searchers import open_searcher

    searcher = open_searcher(index)
    for fields in searcher.all_stored_fields():
        if not fields["url"].startswith("/x/"):
            yield type("Hit", (), fields), fields["body"]


def test_judged_queries_find_fragments_places_pinyin_and_titles(judged) -> None:
    index, queries = judged
    words = synonyms.groups_by_word()

    def run(text: str) -> list[str]:
        bets = [p.url for p in best_bets(index, text)]
        return bets + [h.url for h in search(index, text, synonyms=words).hits]

    assert len(queries) >= 300
    figures = measure(queries, run)
    shown = {kind: (f.queries, round(f.recall, 3), round(f.mrr, 3)) for kind, f in figures.items()}
    assert figures["fragment"].recall >= 0.99, (shown, misses(queries, run, "fragment"))
    assert figures["place"].recall >= 0.95, (shown, misses(queries, run, "place"))
    assert figures["pinyin"].recall >= 0.95, (shown, misses(queries, run, "pinyin"))
    assert figures["title"].mrr >= 0.8, (shown, misses(queries, run, "title"))
    assert figures["synonym"].recall >= 0.95, shown
    assert figures["word"].recall >= 0.95, shown
