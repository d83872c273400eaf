"""Search-result snippets: the passages of a text with the most query words, marked."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

#: A snippet: at most two passages of up to ~200 characters around the matched words.
SNIPPET_PASSAGES = 2
SNIPPET_SPAN = 200
SNIPPET_CONTEXT = 20


def word_marker(words: set[str]) -> re.Pattern[str] | None:
    """One pattern for the query's words, longest first, matched without case."""
    words = {w for w in words if isinstance(w, str) and w.strip()}
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)),
                      re.IGNORECASE)


def snippet(text: str, marker: re.Pattern[str] | None) -> Markup:
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
    pieces: list[str] = []
    for passage in sorted(ranked[:SNIPPET_PASSAGES], key=lambda p: p[0][0]):
        if pieces:
            pieces.append(" … ")
        position = max(0, passage[0][0] - SNIPPET_CONTEXT)
        for start, end in passage:
            pieces += [escape(text[position:start]), "<mark>", escape(text[start:end]), "</mark>"]
            position = end
        pieces.append(escape(text[position:min(len(text), passage[-1][1] + SNIPPET_CONTEXT)]))
    return Markup("".join(pieces))  # every piece of the text escaped above
