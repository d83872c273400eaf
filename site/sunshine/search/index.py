"""The Whoosh index on disk: schema, rebuild from every registered source, and queries.

Features register a source on the app's registry: a function yielding ``SearchDoc``s for what
is public. Only public
fields go in; the index never holds a household member's personal data.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from markupsafe import Markup
from whoosh import index as whoosh_index
from whoosh.collectors import TopCollector
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.query import And, Phrase, Query, Term
from whoosh.searching import Searcher

from sunshine.regions import codes
from sunshine.registry import SearchDoc, registry
from sunshine.search import docsets, places, ranking, searchers
from sunshine.search.analysis import bigram_analyzer, chinese_analyzer
from sunshine.search.codec import Codec
from sunshine.search.parallel import ParallelWriter
from sunshine.search.pinyin import pinyin_analyzer
from sunshine.search.query import Builder, synonyms_used
from sunshine.search.snippets import snippet, word_marker

log = logging.getLogger(__name__)


TYPE_LABELS = {"region": "区划", "news": "扶贫动态", "policy": "政策", "fund": "资金",
               "project": "项目", "notice": "公示公告", "need": "爱心帮扶", "product": "农产品",
               "case": "投诉答复", "request": "依申请公开"}


def schema() -> Schema:
    """Titles and bodies as jieba words and as bigrams (fragments); titles also as pinyin and
    initials; a region's names as people type them (``place``, see search.places)."""
    analyzer, grams = chinese_analyzer(), bigram_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        type=ID(stored=True),
        title=TEXT(stored=True, analyzer=analyzer, field_boost=3.0),
        body=TEXT(stored=True, analyzer=analyzer),
        title_gram=TEXT(analyzer=grams, field_boost=3.0),
        body_gram=TEXT(analyzer=grams),
        pinyin=TEXT(analyzer=pinyin_analyzer(), field_boost=3.0),
        initials=TEXT(analyzer=pinyin_analyzer(first_letters=True), field_boost=3.0),
        place=KEYWORD(commas=True, scorable=False),
        url=STORED(),
        region_code=ID(stored=True),
        region_path=KEYWORD(commas=False, scorable=False),
        year=ID(),
        date=ID(stored=True),
    )


def _region_path(code: str) -> str:
    """Every prefix of a region code, so that a subtree filter is one Term query."""
    if not code:
        return ""
    return " ".join(code[:n] for n in (2, 4, 6, 9, 12))


#: Below this many documents ``rebuild()`` keeps a single writer: forking sub-writers costs more
#: than it saves on a small index (the tests, a fresh demo site).
PARALLEL_THRESHOLD = 2000
#: Memory for each writer's posting pool before it spills to a run file.
LIMIT_MB = 128


def rebuild(index_dir: str | Path, procs: int | None = None) -> dict[str, int]:
    """Recreate the index from every source, in a side folder swapped in at the end.

    ``procs`` is the number of indexing processes: ``None`` picks one per CPU (at most 4) when
    there are at least ``PARALLEL_THRESHOLD`` documents and a single writer otherwise; ``1``
    forces the single writer. Several processes use Whoosh's multiprocessing writer
    (``search.parallel``): ``procs - 1`` forked children and this process, which reads the
    sources, each index batches into their own segment (``multisegment``, no final merge);
    jieba's dictionary, loaded here first, is shared with the children.

    Needs an application context: sources read the database and build URLs.
    """
    target = Path(index_dir)
    building = target.with_name(target.name + ".building")
    counts: dict[str, int] = {}
    _WRITE_LOCK.acquire()
    try:
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        ix = whoosh_index.create_in(str(building), schema())
        # Sources build page URLs with url_for, which needs a request context.
        with current_app.test_request_context("/"):
            docs = _documents(counts)
            head = list(itertools.islice(docs, PARALLEL_THRESHOLD))
            workers = procs if procs is not None else (
                _cpus() if len(head) >= PARALLEL_THRESHOLD else 1)
            _warm_up(ix.schema)  # load jieba once, before any fork
            writer = (ParallelWriter(ix, procs=workers, multisegment=True, limitmb=LIMIT_MB,
                                     codec=Codec())
                      if workers > 1 else ix.writer(limitmb=LIMIT_MB, codec=Codec()))
            try:
                for doc in itertools.chain(head, docs):
                    writer.add_document(**_fields(doc))
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
        indexed = ix.doc_count()
        if indexed != sum(counts.values()):
            raise RuntimeError(f"search rebuild indexed {indexed} of {sum(counts.values())} "
                               "documents; the old index is left in place")
        _swap(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    finally:
        _WRITE_LOCK.release()
    searchers.forget(target)
    log.info("search index rebuilt: %s", counts)
    return counts


def _documents(counts: dict[str, int]) -> Iterator[SearchDoc]:
    """Every source's documents in turn, counted per source in ``counts``."""
    for doc_type, source in sorted(registry().search_sources.items()):
        counts[doc_type] = 0
        for doc in source():
            counts[doc_type] += 1
            yield doc


def _cpus() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 4))


def _warm_up(index_schema: Schema) -> None:
    for _ in index_schema["body"].analyzer("扶贫", mode="index"):
        pass


def _swap(building: Path, target: Path) -> None:
    """Replace the index files in ``target``, leaving dot-files and READMEs in place."""
    target.mkdir(parents=True, exist_ok=True)
    for old in target.iterdir():
        if old.name.startswith(".") or old.name.startswith("README"):
            continue
        if old.is_file():
            old.unlink()
        else:
            shutil.rmtree(old)
    for new in building.iterdir():
        new.rename(target / new.name)
    building.rmdir()


_WRITE_LOCK = threading.Lock()


def update(index_dir: str | Path, docs: Iterable[SearchDoc], delete_ids: Iterable[str]) -> None:
    """Add or replace documents and delete others, through one writer at a time.

    Whoosh allows a single writer per index: a lock serialises this process's writers and
    Whoosh's own lock file (waited on for up to 30 s) serialises processes. The site calls it
    only to apply the search outbox (``search.node``), with what the database has committed.
    """
    folder = str(index_dir)
    with _WRITE_LOCK:
        Path(folder).mkdir(parents=True, exist_ok=True)
        if whoosh_index.exists_in(folder):
            ix = whoosh_index.open_dir(folder)
        else:
            ix = whoosh_index.create_in(folder, schema())
        writer = ix.writer(timeout=30.0, codec=Codec())
        try:
            for doc_id in delete_ids:
                writer.delete_by_term("id", doc_id)
            for doc in docs:
                writer.update_document(**_fields(doc))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise


def documents_under(index_dir: str | Path, code: str) -> list[str]:
    """The ids of the documents of a region's subtree in the index, the region's own page
    included."""
    searcher = searchers.open_searcher(index_dir)
    if searcher is None:
        return []
    found = searcher.docs_for_query(Term("region_path", codes.prefix(code)))
    return [searcher.stored_fields(docnum)["id"] for docnum in found]


def outdated(index_dir: str | Path) -> bool:
    """True when the index on disk lacks a field of today's schema (made by an older version,
    it cannot take today's documents: rebuild it)."""
    folder = str(index_dir)
    if not whoosh_index.exists_in(folder):
        return False
    return not set(schema().names()) <= set(whoosh_index.open_dir(folder).schema.names())


def _fields(doc: SearchDoc) -> dict[str, str]:
    fields = {"id": doc.id, "type": doc.type, "title": doc.title, "body": doc.body,
              "title_gram": doc.title, "body_gram": doc.body, "pinyin": doc.title,
              "initials": doc.title, "url": doc.url, "region_code": doc.region_code,
              "region_path": _region_path(doc.region_code), "date": doc.date,
              "year": doc.date[:4]}
    if doc.type == "region":
        fields["place"] = ",".join(places.keys(doc.title))
    return fields


@dataclass
class Hit:
    title: str
    url: str
    type: str
    type_label: str
    snippet: Markup
    region_code: str
    date: str


@dataclass
class Results:
    hits: list[Hit]
    total: int
    page: int
    pages: int
    #: field → value → how many of the matching documents carry it (empty for the rare
    #: queries Whoosh ranks itself, such as wildcards)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def search(index_dir: str | Path, text: str, doc_type: str | None = None,
           region: str | None = None, page: int = 1, per_page: int = 10,
           year: str | None = None, facets: dict[str, list[str]] | None = None,
           synonyms: Mapping[str, Sequence[str]] | None = None) -> Results:
    """Page ``page`` of the documents matching ``text`` (words, "fragments", pinyin; see
    search.query), narrowed by type, region subtree and year; ``facets`` asks for counts per
    value of type, region_path or year among the matches; ``synonyms`` maps a word to the
    others of its group."""
    current = searchers.opened(index_dir)
    text = text.strip()[:200]
    if current is None or not text:
        return Results([], 0, page, 0)
    searcher = current.searcher
    filters = []
    if doc_type:
        filters.append(Term("type", doc_type))
    if region:
        filters.append(Term("region_path", codes.prefix(region)))
    if year:
        filters.append(Term("year", year))

    page = max(1, page)
    plan = current.plan((text, synonyms_used(text, synonyms)),
                        lambda: _plan(searcher, text, synonyms))
    ranked = _ranked(searcher, plan.query, filters, page * per_page, facets, (plan, "query"))
    if not ranked.total and plan.fallback is not None:
        ranked = _ranked(searcher, plan.fallback, filters, page * per_page, facets,
                         (plan, "fallback"))
    docnums, total = ranked.docnums, ranked.total
    pages = -(-total // per_page)
    page = min(page, pages)
    hits = []
    for docnum in docnums[max(0, page - 1) * per_page:page * per_page]:
        fields = searcher.stored_fields(docnum)
        hits.append(Hit(title=fields["title"], url=fields["url"], type=fields["type"],
                        type_label=TYPE_LABELS.get(fields["type"], fields["type"]),
                        snippet=snippet(fields["body"], plan.marker),
                        region_code=fields.get("region_code", ""), date=fields.get("date", "")))
    return Results(hits, total, page, pages, ranked.facets)


@dataclass(frozen=True, eq=False)
class Plan:
    """A query text as parsed for one opening of the index: kept there, as the same searches
    recur (parsing looks its words up in the index, with jieba). Compared by identity: it
    names its queries' matches kept per segment."""

    query: Query
    #: Asked when ``query`` finds nothing (see search.query).
    fallback: Query | None
    #: Marks the query's words in snippets.
    marker: re.Pattern[str] | None


def _plan(searcher: Searcher, text: str,
          synonyms: Mapping[str, Sequence[str]] | None) -> Plan:
    parsed = Builder(searcher.schema["body"].analyzer, _known(searcher), synonyms).parse(text)
    if parsed is None:  # Whoosh's query language: its own parser
        # A plain OR of the words: BM25 already ranks a document with more of them higher. (A
        # coordination bonus, ``OrGroup.factory``, defeats Whoosh's block skipping: 2× slower.)
        parser = MultifieldParser(["title", "body"], schema=searcher.schema, group=OrGroup)
        query = parser.parse(text).accept(_verified_phrases)
        return Plan(query, None, word_marker({t for f, t in query.iter_all_terms()
                                              if f == "body"}))
    return Plan(parsed.query, parsed.fallback, word_marker(parsed.marks))


def _known(searcher: Searcher) -> Callable[[str], bool]:
    """Whether the index holds a word in a title or body."""
    def known(word: str) -> bool:
        return any(searcher.doc_frequency(f, word) for f in ("title", "body"))
    return known


def _verified_phrases(query: Query) -> Query:
    """Phrases of words are checked on bitmaps and positions (see search.docsets)."""
    if type(query) is Phrase and len(query.words) > 1 and query.slop == 1:
        return docsets.VerifiedPhrase(query.fieldname, query.words, query.boost)
    return query


def _ranked(searcher: Searcher, query: Query, filters: list[Term], limit: int,
            facets: dict[str, list[str]] | None, key: Hashable) -> ranking.Ranked:
    """The best ``limit`` documents of ``query`` narrowed by ``filters``, the exact number of
    matching documents, facets; ``key`` names the query (see ``ranking.run``).

    Words, phrases and filters are ranked and counted from cached score arrays (see
    search.ranking). Anything else (a wildcard, a field the user named) is ranked and counted
    by Whoosh in a single pass over every match.
    """
    if ranking.supported(query):
        return ranking.run(searcher, query, limit, facets, filters, key)
    # Folded into the query: Whoosh miscounts ``total`` when the same terms go in ``filter=``.
    collector = TopCollector(limit=limit, usequality=False, replace=0)
    searcher.search_with_collector(And([query, *filters]) if filters else query, collector)
    return ranking.Ranked([hit.docnum for hit in collector.results()], collector.count(), {})


__all__ = ["rebuild", "search", "update"]
