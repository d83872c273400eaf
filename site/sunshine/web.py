"""Small request helpers shared by views: safe redirects, form errors, pagination args."""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

import flask
from flask import render_template, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.wrappers import Response


class _FormDataParser(FormDataParser):
    """Parses urlencoded bodies within the form limits, with bytes that are not UTF-8 turned
    into U+FFFD.

    Werkzeug reads a urlencoded body whole and splits it without counting, whatever
    ``MAX_FORM_MEMORY_SIZE`` and ``MAX_FORM_PARTS`` say (its multipart parser keeps both): a
    large body of tiny fields would cost seconds and hundreds of megabytes before any view ran.
    Here a body over the memory limit is refused from its length, unread, and one with too many
    fields before it is split. Werkzeug also keeps bytes that are not UTF-8 percent-quoted
    (``%FF`` arrives as the text "%FF"), which forms could not tell from what a person typed;
    multipart bodies already get U+FFFD.
    """

    def parse(self, stream: IO[bytes], mimetype: str, content_length: int | None,
              options: dict[str, str] | None = None) -> Any:
        if mimetype != "application/x-www-form-urlencoded":
            return super().parse(stream, mimetype, content_length, options)
        limit = self.max_form_memory_size
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge()
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestEntityTooLarge()
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge()
        items = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                          errors="replace")
        return stream, self.cls(items), self.cls()


class Request(flask.Request):
    """The site's request class: see ``_FormDataParser``."""

    form_data_parser_class = _FormDataParser


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a local path is an acceptable ``next=``: no scheme, no host, no ``//`` or ``\\``."""
    if not target or len(target) > 2000:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") \
            or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 32 for c in target) or "\\" in target:
        return default
    return target


def render_form_page(template: str, status: int | None = None,
                     **context: object) -> tuple[str, int]:
    """Render a form page; a submitted form with errors answers 400, not 200."""
    if status is None:
        status = 400 if request.method == "POST" else 200
    return render_template(template, **context), status


def is_number(text: str) -> bool:
    """ASCII digits only: ``"²".isdigit()`` and ``"٣".isdigit()`` are true, but ``int("²")``
    fails, so every number taken from a request is checked with this."""
    return text.isascii() and text.isdigit()


def int_arg(name: str, default: int, lowest: int, highest: int) -> int:
    """A query argument as an int within [lowest, highest]; junk or out of range → default."""
    raw = request.args.get(name, "")
    if not is_number(raw) or len(raw) > 9:
        return default
    value = int(raw)
    return value if lowest <= value <= highest else default


def page_arg() -> int:
    """``?page=`` as a positive int; junk means page 1 rather than an error."""
    return int_arg("page", 1, 1, 99_999)


__all__ = ["Request", "Response", "int_arg", "is_number", "page_arg", "render_form_page",
           "safe_next"]
