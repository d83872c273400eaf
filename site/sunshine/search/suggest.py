"""Best bets and suggestions: a place named in the query first, titles while typing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from whoosh.query import Term
from whoosh.searching import Searcher

from sunshine.regions import codes
from sunshine.search import docsets, places
from sunshine.search.index import search
from sunshine.search.searchers import open_searcher

#: Place-name keys looked at for one suggestion prefix (``d`` starts thousands of them).
PREFIX_KEYS = 200


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    url: str


def best_bets(index_dir: str | Path, text: str, limit: int = 3) -> list[Place]:
    """The regions whose name, short name, pinyin or initials is the whole query, the
    higher levels first (the county 都安 before a village of that name)."""
    key = places.normalise(text.replace('"', ""))
    searcher = open_searcher(index_dir)
    if searcher is None or not key:
        return []
    return _places(searcher, _holding(searcher, "place", key), limit)


def suggest(index_dir: str | Path, text: str, limit: int = 8) -> dict[str, list[dict[str, str]]]:
    """Regions whose keys start with ``text`` and titles that ``text`` finds, for the search
    box while someone types."""
    key = places.normalise(text.replace('"', ""))
    searcher = open_searcher(index_dir)
    if searcher is None or not key or (key.isascii() and len(key) < 2):
        return {"regions": [], "titles": []}
    keys = [k.decode() if isinstance(k, bytes) else k
            for k in itertools.islice(searcher.reader().expand_prefix("place", key), PREFIX_KEYS)]
    regions = _places(searcher, [docnum for k in keys
                                 for docnum in searcher.docs_for_query(Term("place", k))],
                      limit // 2)
    titles: list[dict[str, str]] = []
    for hit in search(index_dir, text, per_page=limit).hits:
        if hit.type != "region" and hit.title not in (t["title"] for t in titles):
            titles.append({"title": hit.title, "url": hit.url})
    return {"regions": [{"name": p.name, "code": p.code, "url": p.url} for p in regions],
            "titles": titles[:limit - len(regions)]}


def trail(index_dir: str | Path, code: str) -> list[Place]:
    """A best bet's region and its ancestors, province first, as the index has them (the
    bet itself comes from the index)."""
    searcher = open_searcher(index_dir)
    if searcher is None:
        return []
    try:
        wanted = [*codes.ancestors_of(code), code]
    except codes.InvalidCode:
        return []
    return _places(searcher, [n for c in wanted for n in _holding(searcher, "id", f"region:{c}")],
                   len(wanted))


def _holding(searcher: Searcher, fieldname: str, text: str) -> list[int]:
    """The documents holding a term, from the ids kept per segment (a best bet is looked up
    for every search)."""
    return [offset + docnum for leaf, offset in searcher.leaf_searchers()
            for docnum in docsets.term_ids(leaf.reader(), fieldname, text)]


def _places(searcher: Searcher, docnums: list[int], limit: int) -> list[Place]:
    """The first ``limit`` regions of these documents, the higher levels first."""
    stored = {docnum: searcher.stored_fields(docnum) for docnum in dict.fromkeys(docnums)}
    ordered = sorted(stored.values(), key=lambda f: (codes.level_of(f["region_code"]),
                                                    f["region_code"]))
    return [Place(f["region_code"], f["title"], f["url"]) for f in ordered[:limit]]
