"""The Whoosh index on disk: schema, rebuild from every registered source, and queries.

Features register a source: a function yielding ``SearchDoc``s for what is public. Only public
fields go in; the index never holds a household member's personal data.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from markupsafe import Markup
from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.query import And, Term
from whoosh.searching import Searcher

from sunshine.regions import codes
from sunshine.search.analysis import chinese_analyzer
from sunshine.search.highlight import MarkFormatter

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
        date=ID(stored=True),
    )


def _region_path(code: str) -> str:
    """Every prefix of a region code, so that a subtree filter is one Term query."""
    if not code:
        return ""
    return " ".join(code[:n] for n in (2, 4, 6, 9, 12))


def rebuild(index_dir: str | Path) -> dict[str, int]:
    """Recreate the index from every source, in a side folder swapped in at the end.

    Needs an application context: sources read the database and build URLs.
    """
    target = Path(index_dir)
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    ix = whoosh_index.create_in(str(building), schema())
    counts: dict[str, int] = {}
    writer = ix.writer(limitmb=128)
    _WRITE_LOCK.acquire()
    try:
        # Sources build page URLs with url_for, which needs a request context.
        with current_app.test_request_context("/"):
            for doc_type, source in sorted(SOURCES.items()):
                counts[doc_type] = _add_documents(writer, source())
        writer.commit()
    except BaseException:
        writer.cancel()
        _WRITE_LOCK.release()
        raise
    try:
        _swap(building, target)
    finally:
        _WRITE_LOCK.release()
    with _LOCK:
        old = _SEARCHERS.pop(str(target), None)
    if old is not None:
        old.close()
    log.info("search index rebuilt: %s", counts)
    return counts


def _add_documents(writer: Any, docs: Iterable[SearchDoc]) -> int:
    n = 0
    for doc in docs:
        writer.add_document(**_fields(doc))
        n += 1
    return n


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
            "date": doc.date}


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


_SEARCHERS: dict[str, Searcher] = {}
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
        return searcher


def search(index_dir: str | Path, text: str, doc_type: str | None = None,
           region: str | None = None, page: int = 1, per_page: int = 10) -> Results:
    searcher = _searcher(str(index_dir))
    text = text.strip()[:200]
    if searcher is None or not text:
        return Results([], 0, page, 0)
    parser = MultifieldParser(["title", "body"], schema=searcher.schema, group=OrGroup.factory(0.9))
    query = parser.parse(text)
    filters = []
    if doc_type:
        filters.append(Term("type", doc_type))
    if region:
        filters.append(Term("region_path", codes.prefix(region)))
    if filters:
        # Folded into the query: Whoosh miscounts ``total`` when the same terms go in ``filter=``.
        query = And([query, *filters])
    result = searcher.search_page(query, page, pagelen=per_page)
    result.results.fragmenter.charlimit = None
    result.results.formatter = MarkFormatter()
    hits = [
        Hit(title=h["title"], url=h["url"], type=h["type"],
            type_label=TYPE_LABELS.get(h["type"], h["type"]),
            snippet=Markup(h.highlights("body", top=2)) or Markup.escape(h["body"][:120]),
            region_code=h.get("region_code", ""), date=h.get("date", ""))
        for h in result
    ]
    return Results(hits, result.total, result.pagenum, result.pagecount)


__all__ = ["SearchDoc", "rebuild", "register_source", "search"]
