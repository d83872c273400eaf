"""A Chinese analyzer for Whoosh built on jieba.

Positions are token ordinals, not character offsets (jieba's stock ChineseAnalyzer uses
offsets, so phrase queries such as "产业扶贫" never match). At index time a long word also
yields the dictionary words inside it at the same position, so "扶贫" finds "扶贫办"; at query
time only the plain segmentation is used, so a phrase is a run of consecutive ordinals.
English words and numbers stay whole and searchable.

The bigram analyzer is the other half: every two neighbouring characters, so that any fragment
of two or more characters is found as a phrase of bigrams, as Ctrl-F would find it.

jieba loads its dictionary (~1 s, ~60 MB) on first use, once per process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import jieba
from whoosh.analysis import Token, Tokenizer
from whoosh.analysis.filters import LowercaseFilter, StopFilter

jieba.setLogLevel(logging.WARNING)

STOP_WORDS = frozenset("的 了 和 与 及 或 在 是 对 为 等 之 其 中 把 被 从 向".split())


def _sub_words(word: str) -> list[tuple[str, int]]:
    """Dictionary words of 2–3 characters inside a longer word, with their offsets."""
    if len(word) < 3 or word.isascii():
        return []
    freq = jieba.dt.FREQ
    found = []
    for size in (2, 3):
        for i in range(len(word) - size + 1):
            piece = word[i:i + size]
            if piece != word and freq.get(piece):
                found.append((piece, i))
    return found


class JiebaTokenizer(Tokenizer):
    def __call__(
        self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
        removestops: bool = True, start_pos: int = 0, start_char: int = 0, mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        jieba.dt.check_initialized()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        ordinal = start_pos
        for word, start, _end in jieba.tokenize(value):
            word = word.strip()
            if not word or not any(ch.isalnum() for ch in word):
                continue
            pieces = [(word, 0)]
            if mode == "index":
                pieces += _sub_words(word)
            for text, offset in pieces:
                token.original = token.text = text
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = ordinal
                if chars:
                    token.startchar = start_char + start + offset
                    token.endchar = token.startchar + len(text)
                yield token
            ordinal += 1


def chinese_analyzer() -> Any:
    return JiebaTokenizer() | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1,
                                                             renumber=False)


#: Letters, digits and Chinese characters: the units of the n-gram fields. Anything else
#: (spaces, punctuation) ends a run, and no n-gram spans two runs.
_RUN = re.compile(r"[^\W_]+")


def runs(text: str) -> list[str]:
    """The runs of letters, digits and Chinese characters in ``text``, lowercased."""
    return _RUN.findall(text.lower())


def bigrams(run: str) -> list[str]:
    """Every two neighbouring characters of a run; a run of one character is itself."""
    if len(run) < 2:
        return [run] if run else []
    return [run[i:i + 2] for i in range(len(run) - 1)]


class BigramTokenizer(Tokenizer):
    """Each two neighbouring characters, at consecutive positions within a run and a position
    apart across runs: a fragment of a text is then a phrase of bigrams, whatever the word
    boundaries (what jieba's words cannot give when a fragment starts inside a word)."""

    def __call__(
        self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
        removestops: bool = True, start_pos: int = 0, start_char: int = 0, mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        ordinal = start_pos
        for found in _RUN.finditer(value.lower()):
            run = found.group()
            for offset, gram in enumerate(bigrams(run)):
                token.original = token.text = gram
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = ordinal + offset
                if chars:
                    token.startchar = start_char + found.start() + offset
                    token.endchar = token.startchar + len(gram)
                yield token
            ordinal += len(run) + 1


def bigram_analyzer() -> Any:
    return BigramTokenizer()
