"""Small request helpers shared by views: safe redirects, form errors, pagination args."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

import flask
from flask import render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter, Map
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


class RowNumber(IntegerConverter):
    """``<int:...>`` in every route: at most 19 digits and below 2**63, what a database row
    can hold; a longer number is no page (404) rather than an integer the database refuses."""

    regex = r"\d{1,19}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = 2**63 - 1, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class Request(flask.Request):
    """The site's request class: see ``_FormDataParser``."""

    form_data_parser_class = _FormDataParser


#: Session values remembered as they are: nothing a request could change in place.
PLAIN = (str, int, float, bool, type(None))


class Session(SecureCookieSession):
    """A session that knows when its cookie was signed (None: not from a cookie)."""

    signed_at: float | None = None


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, cheaper for a visitor who comes back often.

    - The signing serializer is made once per set of keys rather than on every request (Flask
      builds a new one each time a session is opened or saved).
    - A cookie is verified and decoded once per worker: the same cookie string again gives the
      same session (its age is still checked each time). Only sessions of plain values are
      remembered (a login, a CSRF token), which a request cannot change in place.
    - A permanent session that nothing changed is signed again and sent back (which keeps it
      alive) when its cookie is ``REFRESH_SECONDS`` old, not on every request: it ends at most
      that much sooner than Flask's own would.
    """

    session_class = Session
    REFRESH_SECONDS = 60
    OPENED = 4096  # cookies remembered per worker

    def __init__(self) -> None:
        self.serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}
        self.opened: OrderedDict[tuple[int, str], tuple[dict[str, Any], float]] = OrderedDict()
        self.lock = threading.Lock()

    def get_signing_serializer(self, app: flask.Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializer = self.serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                self.serializers[keys] = serializer
        return serializer

    def open_session(self, app: flask.Flask, request: Any) -> Session | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return Session()
        max_age = app.permanent_session_lifetime.total_seconds()
        key = (id(serializer), value)
        with self.lock:
            known = self.opened.get(key)
            if known is not None:
                self.opened.move_to_end(key)
        if known is not None and time.time() - known[1] <= max_age:
            data, signed_at = known
        else:
            try:
                data, signed = serializer.loads(value, max_age=int(max_age),
                                                return_timestamp=True)
            except BadSignature:
                return Session()
            signed_at = signed.timestamp()
            if isinstance(data, dict) and all(isinstance(v, PLAIN) for v in data.values()):
                with self.lock:
                    self.opened[key] = (data, signed_at)
                    while len(self.opened) > self.OPENED:
                        self.opened.popitem(last=False)
        session = Session(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: flask.Flask, session: Any) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or time.time() - signed_at >= self.REFRESH_SECONDS


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


def no_store(response: Response) -> Response:
    """An answer about one visitor (their own pages and what they filled in): no cache keeps
    it, neither a shared proxy nor the browser for the next person at the same computer. Used
    as a view's last step or a blueprint's ``after_request``."""
    response.headers["Cache-Control"] = "no-store"
    return response


def is_number(text: str) -> bool:
    """ASCII digits only: ``"²".isdigit()`` and ``"٣".isdigit()`` are true, but ``int("²")``
    fails, so every number taken from a request is checked with this."""
    return text.isascii() and text.isdigit()


def whole_number(text: object, default: int, lowest: int = 1, highest: int = 99_999) -> int:
    """The one reading of a number that a visitor typed (a query argument or a form field):
    ASCII digits only, no longer than ``highest`` is, within [lowest, highest]; anything else
    (junk, a sign, thousands of digits) gives ``default``, never an error."""
    if not isinstance(text, str) or not is_number(text) or len(text) > len(str(highest)):
        return default
    value = int(text)
    return value if lowest <= value <= highest else default


def int_arg(name: str, default: int, lowest: int, highest: int, *, clamp: bool = False) -> int:
    """A query argument as an int within [lowest, highest]; junk or out of range → default,
    or with ``clamp`` a number out of range → the nearest end."""
    raw = request.args.get(name, "")
    if clamp and is_number(raw):
        digits = raw.lstrip("0") or "0"
        if len(digits) > len(str(highest)) or int(digits) > highest:
            return highest
        return max(lowest, int(digits))
    return whole_number(raw, default, lowest, highest)


def page_arg() -> int:
    """``?page=`` as a positive int; junk means page 1 rather than an error."""
    return int_arg("page", 1, 1, 99_999)


def per_page_arg(default: int, highest: int = 100) -> int:
    """``?per_page=`` of the JSON lists and exports: more than ``highest`` gives ``highest``."""
    return int_arg("per_page", default, 1, highest, clamp=True)


__all__ = ["Request", "Response", "RowNumber", "Session", "SessionInterface", "int_arg",
           "is_number", "no_store", "page_arg", "per_page_arg", "render_form_page", "safe_next",
           "whole_number"]
