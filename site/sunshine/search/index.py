"""The Whoosh index on disk: schema, rebuild from every registered source, and queries.

Features register a source: a function yielding ``SearchDoc``s for what is public. Only public
fields go in; the index never holds a household member's personal data.
"""

from __future__ import annotations

import gc
import itertools
import logging
import multiprocessing
import os
import pickle
import queue
import re
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from markupsafe import Markup, escape
from whoosh import index as whoosh_index
from whoosh.collectors import TopCollector
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.query import And, Phrase, Query, Term
from whoosh.searching import Searcher
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from sunshine.regions import codes
from sunshine.search import docsets, ranking
from sunshine.search.analysis import chinese_analyzer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchDoc:
    id: str  # unique across types, e.g. "region:450102000000"
    type: str  # region, news, policy, fund, project, notice, need, product
    title: str
    body: str
    url: str
    region_code: str = ""
    date: str = ""
    extra: dict[str, str] = field(default_factory=dict)


TYPE_LABELS = {"region": "区划", "news": "扶贫动态", "policy": "政策", "fund": "资金",
               "project": "项目", "notice": "公示公告", "need": "爱心帮扶", "product": "农产品",
               "case": "投诉答复"}

Source = Callable[[], Iterable[SearchDoc]]
SOURCES: dict[str, Source] = {}


def register_source(doc_type: str) -> Callable[[Source], Source]:
    def wrap(func: Source) -> Source:
        SOURCES[doc_type] = func
        return func

    return wrap


def schema() -> Schema:
    analyzer = chinese_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        type=ID(stored=True),
        title=TEXT(stored=True, analyzer=analyzer, field_boost=3.0),
        body=TEXT(stored=True, analyzer=analyzer),
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
    forces the single writer. Several processes use Whoosh's multiprocessing writer, which
    forks: each child indexes batches of documents into its own segment (``multisegment``, no
    final merge), and jieba's dictionary, loaded here first, is shared with the children.

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
            writer = (_ParallelWriter(ix, procs=workers, multisegment=True, limitmb=LIMIT_MB)
                      if workers > 1 else ix.writer(limitmb=LIMIT_MB))
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
    with _LOCK:
        old = _SEARCHERS.pop(str(target), None)
    if old is not None:
        old.close()
    log.info("search index rebuilt: %s", counts)
    return counts


def _documents(counts: dict[str, int]) -> Iterator[SearchDoc]:
    """Every source's documents in turn, counted per source in ``counts``."""
    for doc_type, source in sorted(SOURCES.items()):
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


_FORK = multiprocessing.get_context("fork")


class _ForkedSubWriter(SubWriterTask):
    """Whoosh's sub-writer process, always forked (children inherit jieba's dictionary)."""

    _start_method = "fork"
    _Popen = staticmethod(_FORK.Process._Popen)


class _ParallelWriter(MpWriter):
    """Whoosh's multiprocessing writer, made to fail loudly instead of hanging or dropping
    documents when a child dies, and to leave no process, pipe or thread behind.

    All children are forked before the first job is queued, while this process has no extra
    thread (the queue's feeder thread starts with the first ``put``). A child inherits the
    open database connection of the source being read but never uses it, and leaves through
    ``os._exit`` (no finalizer runs in it).
    """

    def __init__(self, ix: Any, procs: int, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, **kwargs)
        for unused in (self.jobqueue, self.resultqueue):  # the default context's; never used
            unused.close()
        self.jobqueue = _FORK.Queue(self.procs * 4)
        self.resultqueue = _FORK.Queue()
        # Frozen objects are never touched by the children's garbage collector, so the pages
        # they share with this process (jieba's dictionary, the app) are not copied.
        gc.freeze()
        try:
            for _ in range(self.procs):
                self._new_task()
        finally:
            gc.unfreeze()

    def _new_task(self) -> Any:
        task = _ForkedSubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                                self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def _put(self, item: Any) -> None:
        while True:
            try:
                self.jobqueue.put(item, timeout=0.5)
                return
            except queue.Full:
                if not all(task.is_alive() for task in self.tasks):
                    raise RuntimeError("a search indexing process died") from None

    def _enqueue(self) -> None:
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        try:
            if self.docbuffer:
                self._enqueue()
            for _ in self.tasks:
                self._put(None)
            finalsegments = self._merge_segments(mergetype, optimize, merge)
            results = []
            while len(results) < len(self.tasks):
                try:
                    results.append(self.resultqueue.get(timeout=1.0))
                except queue.Empty:
                    if any(task.exitcode not in (None, 0) for task in self.tasks):
                        raise RuntimeError("a search indexing process failed") from None
            for task in self.tasks:
                task.join()
        except BaseException:
            self._stop_tasks()
            raise
        self._release_tasks()
        # A child that got no batch made an empty segment: leave it out (its files are cleaned).
        finalsegments += [segment for _, _, segment in results if segment.doc_count_all()]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def commit(self, mergetype: Any = None, optimize: Any = None, merge: Any = None) -> None:
        if self._added_sub:
            self._commit(mergetype, optimize, merge)
        else:  # nothing was added: the children have nothing to hand back
            self._stop_tasks()
            SegmentWriter.commit(self, mergetype=mergetype, optimize=optimize, merge=merge)

    def cancel(self) -> None:
        self._stop_tasks()
        SegmentWriter.cancel(self)

    def _stop_tasks(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
                task.join(timeout=10)
            if task.is_alive():
                task.kill()
            task.join()
        self.jobqueue.cancel_join_thread()
        self._release_tasks()

    def _release_tasks(self) -> None:
        for task in self.tasks:
            task.close()
        self.tasks = []
        for channel in (self.jobqueue, self.resultqueue):
            channel.close()
            channel.join_thread()


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
    Whoosh's own lock file (waited on for up to 30 s) serialises processes. Call it after the
    database commit, so that the index never shows what the database rolled back.
    """
    folder = str(index_dir)
    with _WRITE_LOCK:
        Path(folder).mkdir(parents=True, exist_ok=True)
        if whoosh_index.exists_in(folder):
            ix = whoosh_index.open_dir(folder)
        else:
            ix = whoosh_index.create_in(folder, schema())
        writer = ix.writer(timeout=30.0)
        try:
            for doc_id in delete_ids:
                writer.delete_by_term("id", doc_id)
            for doc in docs:
                writer.update_document(**_fields(doc))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise


def _fields(doc: SearchDoc) -> dict[str, str]:
    return {"id": doc.id, "type": doc.type, "title": doc.title, "body": doc.body, "url": doc.url,
            "region_code": doc.region_code, "region_path": _region_path(doc.region_code),
            "date": doc.date, "year": doc.date[:4]}


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


_SEARCHERS: dict[str, Searcher] = {}
_VERSIONS: dict[str, int] = {}
_OPENED = itertools.count(1)
_LOCK = threading.Lock()


def _searcher(index_dir: str) -> Searcher | None:
    """One searcher per process and index, reopened only when the index changed.

    Whoosh's ``Searcher.refresh()`` reuses the old segment readers and so keeps showing
    documents deleted since; a new searcher (~100 ms at 20 k documents) is right.
    """
    with _LOCK:
        current = _SEARCHERS.get(index_dir)
        if current is not None:
            if current.up_to_date():
                return current
            current.close()
            del _SEARCHERS[index_dir]
        if not whoosh_index.exists_in(index_dir):
            return None
        searcher = whoosh_index.open_dir(index_dir).searcher()
        _SEARCHERS[index_dir] = searcher
        _VERSIONS[index_dir] = next(_OPENED)
        return searcher


def index_version(index_dir: str | Path) -> int:
    """A number that changes whenever this process opens the index anew (after a rebuild or
    an update): the key of cached search pages."""
    _searcher(str(index_dir))
    return _VERSIONS.get(str(index_dir), 0)


def search(index_dir: str | Path, text: str, doc_type: str | None = None,
           region: str | None = None, page: int = 1, per_page: int = 10,
           year: str | None = None, facets: dict[str, list[str]] | None = None) -> Results:
    """Page ``page`` of the documents matching ``text`` (words, "phrases"), narrowed by type,
    region subtree and year; ``facets`` asks for counts per value of type, region_path or
    year among the matches."""
    searcher = _searcher(str(index_dir))
    text = text.strip()[:200]
    if searcher is None or not text:
        return Results([], 0, page, 0)
    # A plain OR of the words: BM25 already ranks a document with more of them higher. (A
    # coordination bonus, ``OrGroup.factory``, defeats Whoosh's block skipping: 2× slower.)
    parser = MultifieldParser(["title", "body"], schema=searcher.schema, group=OrGroup)
    query = parser.parse(text).accept(_verified_phrases)
    filters = []
    if doc_type:
        filters.append(Term("type", doc_type))
    if region:
        filters.append(Term("region_path", codes.prefix(region)))
    if year:
        filters.append(Term("year", year))
    if filters:
        # Folded into the query: Whoosh miscounts ``total`` when the same terms go in ``filter=``.
        query = And([query, *filters])
    page = max(1, page)
    ranked = _ranked(searcher, query, page * per_page, facets)
    docnums, total = ranked.docnums, ranked.total
    pages = -(-total // per_page)
    page = min(page, pages)
    marker = _marker({text for field, text in query.iter_all_terms() if field == "body"})
    hits = []
    for docnum in docnums[max(0, page - 1) * per_page:page * per_page]:
        fields = searcher.stored_fields(docnum)
        hits.append(Hit(title=fields["title"], url=fields["url"], type=fields["type"],
                        type_label=TYPE_LABELS.get(fields["type"], fields["type"]),
                        snippet=_snippet(fields["body"], marker),
                        region_code=fields.get("region_code", ""), date=fields.get("date", "")))
    return Results(hits, total, page, pages, ranked.facets)


def _verified_phrases(query: Query) -> Query:
    """Phrases of words are checked on bitmaps and positions (see search.docsets)."""
    if type(query) is Phrase and len(query.words) > 1 and query.slop == 1:
        return docsets.VerifiedPhrase(query.fieldname, query.words, query.boost)
    return query


def _ranked(searcher: Searcher, query: Query, limit: int,
            facets: dict[str, list[str]] | None) -> ranking.Ranked:
    """The best ``limit`` documents, the exact number of matching documents, facets.

    Words, phrases and filters are ranked and counted from cached score arrays (see
    search.ranking). Anything else (a wildcard, a field the user named) is ranked and counted
    by Whoosh in a single pass over every match.
    """
    if ranking.supported(query):
        return ranking.run(searcher, query, limit, facets)
    collector = TopCollector(limit=limit, usequality=False, replace=0)
    searcher.search_with_collector(query, collector)
    return ranking.Ranked([hit.docnum for hit in collector.results()], collector.count(), {})


#: A snippet: at most two passages of up to ~200 characters around the matched words.
SNIPPET_PASSAGES = 2
SNIPPET_SPAN = 200
SNIPPET_CONTEXT = 20


def _marker(words: set[str]) -> re.Pattern[str] | None:
    """One pattern for the query's words, longest first, matched without case."""
    words = {w for w in words if isinstance(w, str) and w.strip()}
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)),
                      re.IGNORECASE)


def _snippet(text: str, marker: re.Pattern[str] | None) -> Markup:
    """The passages of ``text`` with the most query words, the words in ``<mark>``.

    A string search for the analysed query words, not a re-analysis of the whole text with
    jieba (which costs ~5 ms a document): a word is also marked inside a longer one, as the
    index finds "扶贫" in "扶贫办". Every piece of text is escaped here.
    """
    passages: list[list[tuple[int, int]]] = []
    if marker is not None:
        current: list[tuple[int, int]] = []
        for found in marker.finditer(text):
            start, end = found.span()
            if current and end - current[0][0] > SNIPPET_SPAN:
                passages.append(current)
                current = []
                if len(passages) >= 50:
                    break
            if current and current[-1][1] == start:  # adjacent words: one mark
                current[-1] = (current[-1][0], end)
            else:
                current.append((start, end))
        if current:
            passages.append(current)
    if not passages:
        return Markup.escape(text[:120])
    ranked = sorted(passages, key=lambda p: (-len({text[a:b].lower() for a, b in p}), -len(p)))
    pieces = []
    for passage in sorted(ranked[:SNIPPET_PASSAGES], key=lambda p: p[0][0]):
        position = max(0, passage[0][0] - SNIPPET_CONTEXT)
        out = Markup("")
        for start, end in passage:
            out += escape(text[position:start]) + Markup("<mark>%s</mark>") % text[start:end]
            position = end
        out += escape(text[position:min(len(text), passage[-1][1] + SNIPPET_CONTEXT)])
        pieces.append(out)
    return Markup(" … ").join(pieces)


__all__ = ["SearchDoc", "rebuild", "register_source", "search"]
