"""What a citizen types, as a query of the index.

- A word is looked up by its jieba words in titles and bodies, ranked by BM25F.
- A "quoted fragment" is found wherever it occurs, like Ctrl-F: as a phrase of bigrams. The
  documents where it is also a run of whole words rank first.
- An unquoted word that jieba cuts into single characters (都安 → 都 安) or into words the
  index does not hold (指标均达 → 指标 均达) is taken as a fragment; a long one keeps its
  whole words and looks its loose characters up as bigrams. Where an unquoted word is several
  jieba words, the documents that hold it as typed rank first.
- When the words find nothing, every word is looked up as a fragment (``fallback``).
- A word of Latin letters is also pinyin (``weifang``) or initials (``wfgz``) of a title.
- A word or fragment that is in a synonym group also finds the other words of the group, each
  as a fragment.

Text in Whoosh's own query language (AND, OR, NOT, wildcards, fields) is left to Whoosh's
parser (``parse`` answers None).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from whoosh.query import And, Or, Query, Term

from sunshine.search import pinyin
from sunshine.search.analysis import bigrams, runs
from sunshine.search.docsets import VerifiedPhrase
from sunshine.search.ranking import Tiered

WORD_FIELDS = ("title", "body")
GRAM_FIELDS = ("title_gram", "body_gram")
#: An unquoted word up to this long that jieba cuts badly is taken whole, as a fragment.
FRAGMENT_MAX = 8
#: A synonym counts a little less than the word typed.
SYNONYM_BOOST = 0.9

_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_SYNTAX = re.compile(r"[*?:()\[\]{}^~]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b")


@dataclass
class Parsed:
    query: Query
    #: Asked when ``query`` finds nothing: every word as a fragment (None: nothing to add).
    fallback: Query | None
    #: The texts to mark in snippets.
    marks: set[str] = field(default_factory=set)


def synonyms_used(text: str, synonyms: Mapping[str, Sequence[str]] | None
                  ) -> tuple[tuple[str, ...], ...]:
    """The synonym groups that ``Builder.parse`` looks up for ``text``: what, besides the
    text and the index, its query depends on."""
    if not synonyms or uses_syntax(text):
        return ()
    return tuple(tuple(synonyms.get((quoted or word).strip().lower(), ()))
                 for quoted, word in _TOKENS.findall(text))


def uses_syntax(text: str) -> bool:
    """True for text in Whoosh's query language (``合作社 OR 电站``, ``产业*``)."""
    return bool(_SYNTAX.search(text.replace('"', " ")))


class Builder:
    """Builds the query of one search; ``known(word)`` tells whether the index holds a word."""

    def __init__(self, analyzer: Any, known: Callable[[str], bool],
                 synonyms: Mapping[str, Sequence[str]] | None = None) -> None:
        self.analyzer = analyzer
        self.known = known
        self.synonyms = synonyms or {}
        self.marks: set[str] = set()

    def parse(self, text: str) -> Parsed | None:
        if uses_syntax(text):
            return None
        parts: list[Query] = []
        fallbacks: list[Query] = []
        for quoted, word in _TOKENS.findall(text):
            typed = (quoted or word).strip()
            if not typed:
                continue
            query = self.fragment(typed) if quoted else self.word(typed)
            alternatives = [query] if query is not None else []
            for other in self.synonyms.get(typed.lower(), ()):
                found = self.fragment(other)
                if found is not None:
                    alternatives.append(_boosted(found, SYNONYM_BOOST))
            if alternatives:
                parts.append(alternatives[0] if len(alternatives) == 1 else Or(alternatives))
            if not quoted:
                fallback = self.grams(typed)
                if fallback is not None:
                    fallbacks.append(fallback)
        if not parts:
            return Parsed(Or([]), None, self.marks)
        return Parsed(parts[0] if len(parts) == 1 else Or(parts),
                      Or(fallbacks) if fallbacks else None, self.marks)

    # -- the pieces

    def words(self, text: str) -> list[tuple[str, int]]:
        """The jieba words of ``text`` with their offsets, stop words left out."""
        return [(t.text, t.startchar) for t in self.analyzer(text, mode="query", chars=True)]

    def word(self, text: str) -> Query | None:
        """An unquoted word: its jieba words, the documents holding it as typed first; a
        fragment when jieba cuts it badly; pinyin when it is Latin letters."""
        if text.isascii():
            return self.latin(text)
        words = self.words(text)
        loose = [(w, at) for w, at in words if len(w) == 1 and pinyin.is_chinese(w)]
        unknown = [w for w, _ in words if len(w) > 1 and not self.known(w)]
        if (loose or unknown) and len(text) <= FRAGMENT_MAX:
            return self.fragment(text)
        # Its whole words, and each loose character with its neighbour.
        whole = [w for w, _ in words if len(w) > 1 and w not in unknown or len(w) == 1
                 and not pinyin.is_chinese(w)]
        pairs = [text[at:at + 2] if at + 2 <= len(text) else text[at - 1:at + 1]
                 for _, at in loose]
        self.marks.update(whole + pairs)
        terms: list[Query] = [Term(f, w) for w in whole for f in WORD_FIELDS]
        terms += [Term(f, p.lower()) for p in pairs for f in GRAM_FIELDS]
        terms += [q for w in unknown if (q := self.grams(w)) is not None]
        if not terms:
            return None
        found = Or(terms)
        together = self.grams(text) if len(words) > 1 else None
        if together is None:
            return found
        self.marks.add(text)
        return Tiered([together, found])

    def fragment(self, text: str) -> Query | None:
        """Quoted text: found wherever it occurs; as a run of whole words first."""
        grams = self.grams(text)
        tokens = list(self.analyzer(text, mode="query", removestops=False))
        words = [t.text for t in tokens if not t.stopped]
        whole: Query | None = None
        if any(t.stopped for t in tokens):
            pass  # a stop word is in no word field: only the bigrams can find it
        elif len(words) > 1:
            whole = Or([VerifiedPhrase(f, words) for f in WORD_FIELDS])
        else:
            whole = _either(WORD_FIELDS, words)
        if grams is None:
            self.marks.update(words)
            return whole if whole is not None else _either(WORD_FIELDS, words)
        self.marks.add(text)
        # Words stand in a row across punctuation: the first tier holds the text itself too.
        return Tiered([And([whole, grams]), grams]) if whole is not None else grams

    def grams(self, text: str) -> Query | None:
        """``text`` as phrases of bigrams (one per run of letters, digits and characters), or
        None when it has no run of two characters."""
        pieces = [bigrams(run) for run in runs(text) if len(run) > 1]
        if not pieces:
            return None
        fields = []
        for name in GRAM_FIELDS:
            phrases = [VerifiedPhrase(name, p) if len(p) > 1 else Term(name, p[0])
                       for p in pieces]
            fields.append(phrases[0] if len(phrases) == 1 else And(phrases))
        return Or(fields)

    def latin(self, text: str) -> Query | None:
        """A word of Latin letters or digits: itself, and a title's pinyin or initials."""
        words = [w for w, _ in self.words(text)]
        self.marks.update(words)
        found: list[Query] = [Term(f, w) for w in words for f in WORD_FIELDS]
        if text.isalpha() and len(text) >= 2:
            ways = pinyin.syllables(text)
            found += [_phrase("pinyin", way) for way in ways]
            if not ways and len(text) <= 12:
                found.append(_phrase("initials", list(text.lower())))
        return Or(found) if found else None


def _boosted(query: Query, factor: float) -> Query:
    """``query`` scored ``factor`` times as high (Whoosh's ``with_boost`` copies it deeply)."""
    boosted = copy.copy(query)
    boosted.boost = query.boost * factor
    return boosted


def _either(fields: Iterable[str], words: list[str]) -> Query | None:
    terms = [Term(f, w) for w in words for f in fields]
    return Or(terms) if terms else None


def _phrase(fieldname: str, words: list[str]) -> Query:
    return VerifiedPhrase(fieldname, words) if len(words) > 1 else Term(fieldname, words[0])
