"""Markdown to safe HTML. The only module that imports bleach: it owns the allow-list.

Rendered once when an article is saved or loaded, never per request (≈10 ms an article).

Authors are not all staff (sellers describe their products, donors leave messages), so the
markup they write cannot borrow the site's own look: raw HTML is shown as text, Markdown's
attribute lists are off, and of classes and ids only those the extensions write (footnotes,
the table of contents, heading anchors) survive. A seller cannot paint the official 扶贫产品
badge into a description, nor give an element an id of the page's.
"""

from __future__ import annotations

import re

import bleach
import markdown
from markupsafe import Markup

EXTENSIONS = ["tables", "footnotes", "toc", "sane_lists", "def_list", "abbr"]
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
    "a": ["href", "title", "rel", "class"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "h2": ["id"], "h3": ["id"], "h4": ["id"], "h5": ["id"], "h6": ["id"],
    "li": ["id"], "sup": ["id"], "div": ["class"], "ol": ["start"],
    "td": ["align", "colspan", "rowspan"], "th": ["align", "colspan", "rowspan", "scope"],
}
#: The classes the extensions write: footnotes and the table of contents.
ALLOWED_CLASSES = frozenset({"footnote", "footnote-ref", "footnote-backref", "toc"})
#: Ids the extensions write: a footnote and its references (``fn:1``, ``fnref:1``,
#: ``fnref2:1``) on li and sup, a heading's anchor (``_slug``, numbered when repeated).
FOOTNOTE_ID = re.compile(r"fn(?:ref\d*)?:[\w-]{1,60}")
HEADING_ID = re.compile(r"[\w-]{1,60}(?:_\d+)?")
# Relative links (no scheme) are always allowed by bleach; these are the schemes that may appear.
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _slug(value: str, separator: str) -> str:
    kept = "".join(ch if ch.isalnum() else separator for ch in value.strip().lower())
    return separator.join(part for part in kept.split(separator) if part)[:60] or "section"


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if name == "class":
        return bool(value.split()) and all(c in ALLOWED_CLASSES for c in value.split())
    if name == "id":
        pattern = HEADING_ID if tag.startswith("h") else FOOTNOTE_ID
        return pattern.fullmatch(value) is not None
    return True


def sanitize(html: str) -> str:
    """Strip everything outside the allow-list (scripts, styles, event handlers, bad URLs,
    classes and ids the extensions do not write)."""
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes=_attribute_allowed,
                        protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True)


def render_markdown(text: str) -> str:
    """Markdown → sanitized HTML string, for storing beside the source text.

    Raw HTML in the source is shown as text (Markdown's HTML handling is switched off), then
    the result is sanitized, so even a bug in an extension cannot smuggle a script through.
    """
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                           output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
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
