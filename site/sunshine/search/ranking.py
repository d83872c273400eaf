"""Ranking a query of words with numpy over cached per-word score arrays.

Whoosh's collector walks every matching document in Python, scoring each through several
matcher layers: ~70 µs a document, 15–20 ms for a query of two common words on 20 k
documents. Here a word's BM25F scores in a segment are computed once, vectorised, from its
postings (the same formula, statistics and field boosts Whoosh uses), and kept; a query is
then a few array additions and a partial sort. ``Tiered`` puts the documents of its first part
above those only its second part finds (whole words above fragments). Queries with anything
but words, verified phrases, tiers and the type/region filters (wildcards, ranges, fields a
user typed) keep Whoosh's own collector.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Or, Query, Term
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25FScorer
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from sunshine.search import docsets

SCORED_FIELDS = frozenset({"title", "body", "title_gram", "body_gram", "pinyin", "initials"})
FILTER_FIELDS = frozenset({"type", "region_path", "year"})

_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
#: Added to the score of a document that the first part of a ``Tiered`` finds: more than any
#: sum of BM25 scores, so every such document ranks above those only the second part finds.
TIER_BONUS = 1000.0


class Tiered(Or):
    """The documents of either part, those of the first part ranked above the others.

    Ranked here only; Whoosh's own collector (wildcards and the like) sees a plain OR.
    """

    def __repr__(self) -> str:
        return f"Tiered({self.subqueries!r})"


def supported(query: Query) -> bool:
    """True when ``top`` can rank ``query`` (see the module docstring)."""
    if type(query) is Term:
        return query.fieldname in SCORED_FIELDS or query.fieldname in FILTER_FIELDS
    if type(query) is docsets.VerifiedPhrase:
        return True
    if type(query) in (And, Or, Tiered):
        return getattr(query, "minmatch", 0) in (0, None) and bool(query.subqueries) and all(
            supported(q) for q in query.subqueries)
    return False


@dataclass
class Ranked:
    docnums: list[int]  # the best documents, best first (global document numbers)
    total: int  # how many documents match
    facets: dict[str, dict[str, int]]  # field → value → matching documents with it


def run(searcher: Searcher, query: Query, limit: int,
        facets: dict[str, list[str]] | None = None, filters: Sequence[Term] = (),
        key: Hashable | None = None) -> Ranked:
    """The best ``limit`` documents, how many match, and how many of them carry each of the
    ``facets`` values (filter fields: type, region_path, year). ``filters``, terms of the
    filter fields, narrow the matches as an AND with them would, without a score. ``key``
    names ``query`` to keep its matches with each segment (a query's own hash is no key:
    Whoosh's hash of ``title:w OR body:w`` is the same for every word)."""
    best: list[tuple[float, int]] = []
    total = 0
    counts = {field: dict.fromkeys(values, 0) for field, values in (facets or {}).items()}
    for leaf, offset in searcher.leaf_searchers():
        matching, chosen = (matches(leaf, query, key) if key is not None
                            else _matches(leaf, query))
        for term in filters:
            present = np.zeros(leaf.reader().doc_count_all(), dtype=bool)
            present[term_scores(leaf, term.fieldname, term.text)[0]] = True
            keep = present[matching]
            matching, chosen = matching[keep], chosen[keep]
        total += len(matching)
        if not len(matching):
            continue
        for field, values in counts.items():
            _count(leaf, field, values, matching)
        if len(matching) > limit:
            keep = np.argpartition(-chosen, limit - 1)[:limit]
            matching, chosen = matching[keep], chosen[keep]
        best += zip(chosen.tolist(), (offset + matching).tolist(), strict=True)
    best.sort(key=lambda pair: (-pair[0], pair[1]))  # ties: the older document first
    return Ranked([docnum for _, docnum in best[:limit]], total, counts)


def matches(leaf: Searcher, query: Query, key: Hashable) -> tuple[np.ndarray, np.ndarray]:
    """``_matches``, kept with the segment under ``key``, as its words' scores are (a search
    recurs, with other filters and pages)."""
    return docsets.cached(leaf.reader(), ("matches", key),
                          lambda: _matches(leaf, query))


def _matches(leaf: Searcher, query: Query) -> tuple[np.ndarray, np.ndarray]:
    """The documents of a segment that ``query`` matches, ascending, and their scores."""
    scores, mask = _evaluate(leaf, query)
    found = np.flatnonzero(mask)
    return found, scores[found]


def _count(leaf: Searcher, field: str, values: dict[str, int], matching: np.ndarray) -> None:
    """Add to ``values`` how many of the ``matching`` documents carry each value."""
    which = facet_index(leaf, field, tuple(values))
    if which is not None:
        found = np.bincount(which[matching], minlength=len(values) + 1)
        for value, count in zip(values, found.tolist(), strict=False):
            values[value] += count
        return
    mask = np.zeros(leaf.reader().doc_count_all(), dtype=bool)  # values that overlap
    mask[matching] = True
    for value in values:
        ids, _ = term_scores(leaf, field, value)
        values[value] += int(np.count_nonzero(mask[ids]))


def _evaluate(leaf: Searcher, query: Query) -> tuple[np.ndarray, np.ndarray]:
    """Dense scores and match mask of ``query`` over one segment."""
    size = leaf.reader().doc_count_all()
    scores = np.zeros(size, dtype=np.float64)
    mask = np.zeros(size, dtype=bool)
    _add(leaf, query, 1.0, scores, mask)
    return scores, mask


def _add(leaf: Searcher, query: Query, factor: float, scores: np.ndarray,
         mask: np.ndarray) -> None:
    """Add ``factor`` times the scores of ``query`` to ``scores`` and its matches to ``mask``:
    an OR of words adds up into one array, without an array of its own for each part."""
    kind = type(query)
    if kind is Term or kind is docsets.VerifiedPhrase:
        ids, values = (term_scores(leaf, query.fieldname, query.text)
                       if kind is Term else _phrase(leaf, query))
        scores[ids] += values * (query.boost * factor)  # a word's ids are distinct
        mask[ids] = True
        return
    if kind is Or:
        for part in query.subqueries:
            _add(leaf, part, factor * query.boost, scores, mask)
        return
    # And, Tiered: the parts' own matches count, each part in arrays of its own.
    parts = [_evaluate(leaf, q) for q in query.subqueries]
    total = np.sum([s for s, _ in parts], axis=0)
    if kind is Tiered:
        first_mask = parts[0][1]
        total += TIER_BONUS * first_mask
        matched = np.logical_or.reduce([m for _, m in parts])
    else:
        matched = np.logical_and.reduce([m for _, m in parts])
    scores += total * (query.boost * factor)
    mask |= matched


def facet_index(leaf: Searcher, fieldname: str, values: tuple[str, ...]) -> np.ndarray | None:
    """For each document of a segment, the index in ``values`` of the one it carries
    (``len(values)`` for none): the counts of a facet are then one ``bincount`` of the
    matches. None when a document carries two of them (they are not a partition)."""
    reader = leaf.reader()

    def build() -> np.ndarray | None:
        which = np.full(reader.doc_count_all(), len(values), dtype=np.int32)
        for number, value in enumerate(values):
            ids, _ = term_scores(leaf, fieldname, value)
            if np.any(which[ids] != len(values)):
                return None
            which[ids] = number
        return which

    return docsets.cached(reader, ("facet", fieldname, values), build)


def _phrase(leaf: Searcher, phrase: docsets.VerifiedPhrase) -> tuple[np.ndarray, np.ndarray]:
    hits = docsets.phrase_hits(leaf, phrase.fieldname, phrase.words,
                               lambda word: term_scores(leaf, phrase.fieldname, word))
    return np.asarray(hits.ids, dtype=np.int32), np.asarray(hits.scores, dtype=np.float32)


def term_scores(leaf: Searcher, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """The live documents of a segment holding a word, and the word's score in each (zero
    for the filter fields, which only narrow)."""
    reader = leaf.reader()

    def build() -> tuple[np.ndarray, np.ndarray]:
        try:
            matcher = reader.postings(fieldname, text)
        except TermNotFound:
            return _EMPTY
        ids, weights = _postings(matcher)
        if fieldname in FILTER_FIELDS:
            return ids, np.zeros(len(ids), dtype=np.float64)
        scorer = leaf.weighting.scorer(leaf, fieldname, text)
        if not isinstance(scorer, BM25FScorer):
            raise TypeError("ranking supports BM25F only")
        lengths = _lengths(reader, fieldname)[ids]
        tf, k1, b = weights.astype(np.float64), scorer.K1, scorer.B
        scores = scorer.idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / scorer.avgfl)))
        return ids, scores.astype(np.float32)

    return docsets.cached(reader, ("scores", fieldname, text), build)


def _postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """All ids and weights of a fresh posting matcher, a block at a time, without deleted
    documents."""
    deleted = None
    if isinstance(matcher, FilterMatcher):
        deleted = matcher._ids if matcher._exclude else None
        matcher = matcher.child
    ids: list[Any] = []
    weights: list[Any] = []
    if all(hasattr(matcher, a) for a in ("_read_ids", "_read_weights", "_next_block")):
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            ids.extend(matcher._ids[matcher._i:])
            weights.extend(matcher._weights[matcher._i:])
            matcher._next_block()
    else:  # another posting format: one posting at a time
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    id_array = np.asarray(ids, dtype=np.int32)
    weight_array = np.asarray(weights, dtype=np.float32)
    if deleted:
        live = ~np.isin(id_array, np.fromiter(deleted, dtype=np.int64))
        id_array, weight_array = id_array[live], weight_array[live]
    return id_array, weight_array


def _lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Every document's length of a field in a segment (as Whoosh stores it: one byte).

    Read when a searcher first ranks a field, so after every change of the index: the whole
    column at once where Whoosh's own format allows (one byte a document), else a document
    at a time (~5 µs each)."""

    def build() -> np.ndarray:
        count = reader.doc_count_all()
        column = _length_column(reader, fieldname, count)
        if column is not None:
            return column
        return np.fromiter((reader.doc_field_length(d, fieldname) for d in range(count)),
                           dtype=np.float64, count=count)

    return docsets.cached(reader, ("lengths", fieldname), build)


#: Whoosh's one-byte field lengths decoded (``byte_to_length``), indexed by the byte.
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


def _length_column(reader: Any, fieldname: str, count: int) -> np.ndarray | None:
    """A segment's lengths of a field read from Whoosh's length column in one piece, or None
    when the segment is not stored as Whoosh 3 stores it."""
    perdoc = getattr(reader, "_perdoc", None)
    if not isinstance(perdoc, W3PerDocReader):
        return None
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if column is None:
        return np.zeros(count, dtype=np.float64)
    if not (type(column) is NumericColumn.Reader and column._fixedlen == 1):
        return None
    stored = np.frombuffer(column._dbfile.get(column._basepos, column._count), dtype=np.uint8)
    codes = np.zeros(count, dtype=np.uint8)  # documents past the column have length 0
    codes[:len(stored)] = stored[:count]
    return _BYTE_LENGTHS[codes]
