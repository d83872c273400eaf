"""A Chinese analyzer for Whoosh: jieba's search-mode segmentation, lower-cased.

jieba loads its dictionary (~1 s) on first use; that happens once per process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import jieba
from whoosh.analysis import Token, Tokenizer
from whoosh.analysis.filters import LowercaseFilter, StopFilter

jieba.setLogLevel(logging.WARNING)

STOP_WORDS = frozenset("的 了 和 与 及 或 在 是 对 为 等 之 其 中 把 被 从 向".split())


class JiebaTokenizer(Tokenizer):
    def __call__(  # type: ignore[override]
        self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
        removestops: bool = True, start_pos: int = 0, start_char: int = 0, mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (word, start, end) in enumerate(jieba.tokenize(value, mode="search")):
            word = word.strip()
            if not word or not any(ch.isalnum() for ch in word):
                continue
            token.original = token.text = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def chinese_analyzer() -> Any:
    return JiebaTokenizer() | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1)
