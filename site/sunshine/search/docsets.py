"""Phrases checked on document bitmaps, and the per-segment cache search keeps.

A quoted phrase is answered from the documents holding all its words (a word's documents
are a bitmap, a Python int, read once per segment and kept), then a check of the word
positions in those documents only, scored there (BM25 of its words, as an AND of them would
be) and kept per segment. Whoosh's own phrase matcher builds span objects for every
candidate and then intersects the words again to rank: ~5× the cost.
"""

from __future__ import annotations

import functools
import operator
import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Query, Term
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

#: Bitmaps and score arrays kept per segment reader (so per searcher: a new searcher starts
#: afresh), at most this many bytes of them per segment: the words people search for recur.
CACHE_BYTES = 8 * 1024 * 1024


class _Kept:
    """One segment's kept values by key, the oldest first, and the bytes they take."""

    def __init__(self) -> None:
        self.entries: dict[Any, tuple[Any, int]] = {}
        self.bytes = 0


_BITS: weakref.WeakKeyDictionary[Any, _Kept] = weakref.WeakKeyDictionary()
_BITS_LOCK = threading.Lock()

class VerifiedPhrase(And):
    """A phrase of two or more words: their AND, kept to documents where they stand in a row."""

    def __init__(self, fieldname: str, words: list[str], boost: float = 1.0) -> None:
        super().__init__([Term(fieldname, w) for w in dict.fromkeys(words)], boost=boost)
        self.fieldname, self.words = fieldname, list(words)

    def __repr__(self) -> str:
        return f"VerifiedPhrase({self.fieldname!r}, {self.words!r})"

    def __eq__(self, other: object) -> bool:
        return (type(other) is VerifiedPhrase and other.fieldname == self.fieldname
                and other.words == self.words and other.boost == self.boost)

    def __hash__(self) -> int:
        return hash((self.fieldname, tuple(self.words), self.boost))

    def apply(self, fn: Any) -> Query:
        return VerifiedPhrase(self.fieldname, self.words, self.boost)

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        """The verified documents of this segment with their precomputed scores."""
        hits = phrase_hits(searcher, self.fieldname, self.words)
        if not hits.ids:
            return NullMatcher()
        return ListMatcher(hits.ids, weights=[score * self.boost for score in hits.scores])


@dataclass(frozen=True)
class PhraseHits:
    ids: list[int]
    scores: list[float]


def cached(reader: Any, key: Hashable, build: Any) -> Any:
    """``build()`` kept per segment reader under ``key``, the oldest entries dropped when a
    segment's entries pass ``CACHE_BYTES``."""
    kept = _BITS.get(reader)
    if kept is None:
        with _BITS_LOCK:
            kept = _BITS.setdefault(reader, _Kept())
    hit = kept.entries.get(key)
    if hit is not None:
        return hit[0]
    value = build()
    cost = _nbytes(value)
    with _BITS_LOCK:
        old = kept.entries.pop(key, None)
        kept.bytes += cost - (old[1] if old is not None else 0)
        kept.entries[key] = (value, cost)
        while kept.bytes > CACHE_BYTES and len(kept.entries) > 1:
            _value, dropped = kept.entries.pop(next(iter(kept.entries)))
            kept.bytes -= dropped
    return value


def _nbytes(value: Any) -> int:
    if isinstance(value, int):
        return value.bit_length() // 8 + 32
    if isinstance(value, PhraseHits):
        return 40 * len(value.ids) + 64
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    return int(getattr(value, "nbytes", 64))


def term_bits(reader: Any, fieldname: str, text: Any) -> int:
    """The live documents of a segment that hold a term."""

    def build() -> int:
        try:
            matcher = reader.postings(fieldname, text)
        except TermNotFound:
            return 0
        bitmap = bytearray((reader.doc_count_all() + 8) // 8)
        for docnum in _posting_ids(matcher):
            bitmap[docnum >> 3] |= 1 << (docnum & 7)
        return int.from_bytes(bitmap, "little")

    return cached(reader, (fieldname, text), build)


def term_ids(reader: Any, fieldname: str, text: Any) -> tuple[int, ...]:
    """The live documents of a segment that hold a term, ascending: for the terms of few
    documents (an id, a place name), where a bitmap of the whole segment would cost more."""

    def build() -> tuple[int, ...]:
        try:
            return tuple(_posting_ids(reader.postings(fieldname, text)))
        except TermNotFound:
            return ()

    return cached(reader, ("ids", fieldname, text), build)


def phrase_hits(leaf: Searcher, fieldname: str, words: list[str],
                word_scores: Callable[[str], tuple[Any, Any]] | None = None) -> PhraseHits:
    """The live documents of a segment where ``words`` stand at consecutive positions, with
    the BM25 score of the words in each (the same as the AND of the words would give).
    ``word_scores(word)``, a word's documents and scores as kept arrays (search.ranking),
    sums the scores from those; without it Whoosh scores each document."""
    reader = leaf.reader()

    def build() -> PhraseHits:
        unique = list(dict.fromkeys(words))
        candidates = functools.reduce(
            operator.and_, (term_bits(reader, fieldname, w) for w in unique))
        if not candidates:
            return PhraseHits([], [])
        matchers = {w: reader.postings(fieldname, w) for w in unique}
        scorers = ({w: leaf.weighting.scorer(leaf, fieldname, w) for w in unique}
                   if word_scores is None else {})
        ids: list[int] = []
        scores: list[float] = []
        for docnum in ids_of(candidates):
            positions = {}
            for word, matcher in matchers.items():
                if matcher.id() < docnum:
                    matcher.skip_to(docnum)
                positions[word] = matcher.value_as("positions")
            following = [set(positions[w]) for w in words[1:]]
            if any(all(start + i in later for i, later in enumerate(following, 1))
                   for start in positions[words[0]]):
                ids.append(docnum)
                if scorers:
                    scores.append(sum(scorers[w].score(m) for w, m in matchers.items()))
        if word_scores is not None:
            scores = _summed(ids, [word_scores(w) for w in unique])
        return PhraseHits(ids, scores)

    return cached(reader, ("phrase", fieldname, *words), build)


def _summed(ids: list[int], arrays: list[tuple[Any, Any]]) -> list[float]:
    """For each of ``ids``, the sum of its scores in ``arrays`` (each: ascending document
    numbers and a score for each; every id is in every array)."""
    found = np.asarray(ids, dtype=np.int64)
    total = np.zeros(len(ids), dtype=np.float64)
    for word_ids, word_scores in arrays:
        total += word_scores[np.searchsorted(word_ids, found)]
    return [float(score) for score in total]


def ids_of(bits: int) -> Iterator[int]:
    """The document numbers set in a bitmap, ascending."""
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for index, byte in enumerate(data):
        if byte:
            base = index << 3
            for bit in range(8):
                if byte >> bit & 1:
                    yield base + bit


def _posting_ids(matcher: Any) -> Iterator[int]:
    """Every id of a fresh posting matcher: a whole block at a time for Whoosh's own
    on-disk format (reading ids one by one costs ~1.5× more), through ``all_ids()``
    otherwise, and without deleted documents."""
    if isinstance(matcher, FilterMatcher):
        deleted = matcher._ids if matcher._exclude else None
        if deleted is not None:
            return (i for i in _posting_ids(matcher.child) if i not in deleted)
        return matcher.all_ids()
    if not all(hasattr(matcher, a) for a in ("_read_ids", "_next_block", "_ids", "_i")):
        return matcher.all_ids()
    return _block_ids(matcher)


def _block_ids(matcher: Any) -> Iterator[int]:
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        yield from matcher._ids[matcher._i:]
        matcher._next_block()
