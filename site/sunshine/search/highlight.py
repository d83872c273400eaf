"""Snippet highlighting that escapes every piece of indexed text itself."""

from __future__ import annotations

from typing import Any

from markupsafe import escape
from whoosh.highlight import Formatter, get_text


class MarkFormatter(Formatter):
    """Wraps matched terms in ``<mark>``; all other text is HTML-escaped."""

    between = " … "

    def _text(self, text: str) -> str:
        return str(escape(text))

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(get_text(text, token, replace))}</mark>"
