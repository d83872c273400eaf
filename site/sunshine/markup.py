"""Markdown to safe HTML. The only module that imports bleach: it owns the allow-list.

Rendered once when an article is saved or loaded, never per request (≈10 ms an article).
"""

from __future__ import annotations

import bleach
import markdown
from markupsafe import Markup

EXTENSIONS = ["tables", "footnotes", "toc", "sane_lists", "attr_list", "def_list", "abbr"]
EXTENSION_CONFIGS = {
    # Heading ids keep Chinese text; a readable anchor a citizen can share.
    "toc": {"slugify": lambda value, separator: _slug(value, separator), "permalink": False},
    "footnotes": {"BACKLINK_TITLE": "返回正文第 %d 处"},
}

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre", "s",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "mark",
    "small", "span", "section",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "id", "class", "rel"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "h2": ["id"], "h3": ["id"], "h4": ["id"], "h5": ["id"], "h6": ["id"],
    "li": ["id"], "sup": ["id", "class"], "div": ["class"], "ol": ["start"],
    "td": ["align", "colspan", "rowspan"], "th": ["align", "colspan", "rowspan", "scope"],
    "section": ["class"], "span": ["class"],
}
# Relative links (no scheme) are always allowed by bleach; these are the schemes that may appear.
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _slug(value: str, separator: str) -> str:
    kept = "".join(ch if ch.isalnum() else separator for ch in value.strip().lower())
    return separator.join(part for part in kept.split(separator) if part)[:60] or "section"


def sanitize(html: str) -> str:
    """Strip everything outside the allow-list (scripts, styles, event handlers, bad URLs)."""
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True)


def render_markdown(text: str) -> str:
    """Markdown → sanitized HTML string, for storing beside the source text.

    Raw HTML in the source is escaped by Markdown's own rules first, then the result is
    sanitized, so even a bug in an extension cannot smuggle a script through.
    """
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                           output_format="html")
    return sanitize(md.convert(text))


def stored_html(html: str) -> Markup:
    """Mark HTML that came out of ``render_markdown`` as safe for templates (the filter)."""
    return Markup(html)


class _TextExtractor:
    """Plain text of sanitized HTML, for search bodies and feed summaries."""

    @staticmethod
    def run(html: str) -> str:
        from html.parser import HTMLParser

        parts: list[str] = []

        class Parser(HTMLParser):
            def handle_data(self, data: str) -> None:
                parts.append(data)

        parser = Parser(convert_charrefs=True)
        parser.feed(html)
        parser.close()
        return " ".join(" ".join(parts).split())


def plain_text(html: str) -> str:
    return _TextExtractor.run(html)
