"""One cache for every public page that is the same for every visitor but for the header.

A view hands ``cached()`` its render function and the data it shows, as scopes
``(feature, region code)``. The page is rendered once per version of that data (read from the
database per request, see ``versions``) and China date, always as an anonymous visitor would
see it, with a marker for each visitor part: a small template that a page includes with
``visitor_part(name)`` (base.html's account area; a list's "my pledges" link). Each request
gets the kept body with its own parts put in: the anonymous ones for most visitors; for one who
is logged in, their name and logout form (with its CSRF token), rendered for them. ``front``
answers the requests that carry no cookie before Flask builds a request at all.

A write calls ``changed(feature, region_code)`` in its transaction. Who may get a kept page:
a GET or HEAD whose query string has only the arguments the page declares, with nothing
flashed. ``PAGE_CACHE = False`` renders every page every time.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple

from flask import Flask, Response, current_app, g, render_template, request, session
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from sunshine.clock import today
from sunshine.httpcache import StoredPage, html_response, stored
from sunshine.pagecache import visitors
from sunshine.pagecache.versions import PageVersion, Scope, changed, signature

MAX_PAGES = 1024
MAX_BYTES = 96 * 1024 * 1024  # bodies kept per worker
MAX_PARTS = 4096
HTML = "text/html; charset=utf-8"
PART = re.compile(r"<!--visitor-part:([\w./-]+)-->")
TOKEN_MARKER = re.compile(rb"@@visitor-token:([\w-]+:[\w-]*)@@")

__all__ = ["PageVersion", "Scope", "cached", "changed", "enabled", "register", "token",
           "visitor_part"]


class Entry(NamedTuple):
    """A kept page: what it depends on, the version it was rendered at, and where its
    visitor parts are in the anonymous body (no second copy of the page is kept)."""

    scopes: tuple[Scope, ...]
    extra: Callable[[], Hashable] | None
    version: Hashable
    page: StoredPage  # as an anonymous visitor gets it, but for the tokens' markers
    parts: tuple[str, ...]  # template names
    spans: tuple[tuple[int, int], ...]  # each part's bytes in ``page.body``
    tokens: tuple[str, ...] = ()  # the per-visitor tokens in the body, "kind:arg"
    no_store: bool = False  # answered with ``Cache-Control: no-store`` (and no validator)
    anonymous_only: bool = False  # a logged-in visitor's page is rendered for them
    logged_in_only: bool = False  # a visitor who is not logged in goes to Flask (to log in)
    content_type: str = HTML  # anything else is data, the same for every visitor (``data``)
    headers: tuple[tuple[str, str], ...] = ()  # more of the answer's (Content-Disposition)

    @property
    def pieces(self) -> list[bytes]:
        """The body around the visitor parts (one more piece than parts)."""
        body, pieces, at = self.page.body, [], 0
        for start, end in self.spans:
            pieces.append(body[at:start])
            at = end
        return [*pieces, body[at:]]

    @property
    def shared(self) -> bool:
        """The anonymous page is the same for every anonymous visitor (no token in it)."""
        return not self.tokens

    @property
    def is_data(self) -> bool:
        """Not a page but data (JSON, CSV, XML): the same for every visitor."""
        return self.content_type != HTML


class PageStore:
    """Kept pages of one app (one per worker) by URL, least recently used out first, at most
    ``size`` of them and ``budget`` bytes of bodies."""

    def __init__(self, size: int = MAX_PAGES, budget: int = MAX_BYTES) -> None:
        self.size = size
        self.budget = budget
        self.bytes = 0
        self.pages: OrderedDict[str, Entry] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self.lock:
            entry = self.pages.get(key)
            if entry is not None:
                self.pages.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.bytes -= len(old.page.body)
            self.pages[key] = entry
            self.bytes += len(entry.page.body)
            while len(self.pages) > self.size or (self.bytes > self.budget and self.pages):
                _, gone = self.pages.popitem(last=False)
                self.bytes -= len(gone.page.body)


def store(app: Flask) -> PageStore:
    kept = app.extensions.get("page_store")
    if kept is None:
        kept = app.extensions.setdefault("page_store", PageStore())
    return kept


def enabled(app: Flask) -> bool:
    return bool(app.config.get("PAGE_CACHE", True))


def version(scopes: Iterable[Scope], extra: Callable[[], Hashable] | None) -> Hashable:
    """The current version of a page's data (needs an application context)."""
    return today(), signature(tuple(scopes)), extra() if extra is not None else None


def request_key(environ: dict[str, Any]) -> str:
    """The URL asked for: absolute links in a page (feeds, exports) follow its host."""
    return (f"{environ.get('wsgi.url_scheme')}://{environ.get('HTTP_HOST', '')}"
            f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
            f"?{environ.get('QUERY_STRING', '')}")


def shareable(args: Iterable[str]) -> bool:
    """The rule for a kept page: a GET or HEAD, only declared arguments, nothing flashed."""
    return (enabled(current_app) and request.method in ("GET", "HEAD")
            and set(request.args).issubset(args) and "_flashes" not in session)


def cached(render: Callable[[], str], *scopes: Scope, args: Iterable[str] = (),
           extra: Callable[[], Hashable] | None = None, no_store: bool = False,
           anonymous_only: bool = False, logged_in_only: bool = False,
           headers: Iterable[tuple[str, str]] = ()) -> Response:
    """``render()`` as HTML, kept until the data of ``scopes`` (or ``extra()``, a version
    of data outside the database) changes; ``args`` are the query arguments it reads.
    ``no_store``: browsers and proxies must not keep the answer (a form whose answer shows
    a tracking code). ``anonymous_only``: more than the visitor parts differ for a logged-in
    visitor (a donor's pledge form), so only visitors who are not logged in get the kept page.
    ``logged_in_only``: a page behind a login (the password form), which the front never
    answers for a visitor who is not logged in (Flask sends them to the login page)."""
    from flask_login import current_user

    if not shareable(args) or (anonymous_only and current_user.is_authenticated) \
            or (logged_in_only and not current_user.is_authenticated):
        return _uncached(render(), no_store)
    kept = store(current_app)
    key = request_key(request.environ)
    now = version(scopes, extra)
    entry = kept.get(key)
    if entry is None or entry.version != now:
        entry = _render_public(render, scopes, extra, now, no_store)
        if entry is not None:
            entry = entry._replace(anonymous_only=anonymous_only, logged_in_only=logged_in_only,
                                   headers=tuple(headers))
        if entry is None:  # the page carried a visitor's own token: never kept
            return _uncached(render(), no_store)
        kept.put(key, entry)
    return respond(entry)


def _uncached(body: str, no_store: bool) -> Response:
    response = Response(body, mimetype="text/html")
    if no_store:
        response.headers["Cache-Control"] = "no-store"
    return response


def respond(entry: Entry) -> Response:
    """The kept page with this visitor's parts and tokens (Flask's side of ``personal``)."""
    from flask_login import current_user

    if entry.is_data:
        return data_response(entry)
    if not current_user.is_authenticated:
        if entry.shared:
            response = html_response(entry.page)
            if entry.no_store:
                response.headers["Cache-Control"] = "no-store"
        else:
            response = personal_response(personal(entry, None, None, visitors.flask_token),
                                         entry)
    else:
        key = visitors.visitor_key(current_app, current_user.get_id())
        parts = {name: _render_part(name, key) for name in entry.parts}
        response = personal_response(personal(entry, key, parts.get, visitors.flask_token),
                                     entry)
    for name, value in entry.headers:
        response.headers[name] = value
    return response


def data_response(entry: Entry) -> Response:
    response = Response(entry.page.body, headers=[("Content-Type", entry.content_type),
                                                  *entry.headers])
    response.set_etag(entry.page.etag)
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-cache"
    return response


def personal_response(body: bytes, entry: Entry) -> Response:
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store" if entry.no_store else "private, no-cache"
    return response


def personal(entry: Entry, key: Hashable | None, part: Callable[[str], bytes | None] | None,
             token: Callable[[str, str], str]) -> bytes:
    """The kept page for one visitor: the parts ``part(name)`` gives for a logged-in one
    (``key``), the anonymous ones already in the body for the others, and fresh tokens."""
    if key is None or part is None or not entry.parts:
        body = entry.page.body
    else:
        pieces = entry.pieces
        joined = [pieces[0]]
        for name, piece in zip(entry.parts, pieces[1:], strict=True):
            joined += [part(name) or b"", piece]
        body = b"".join(joined)
    for marker in TOKEN_MARKER.findall(body):
        kind, _, arg = marker.decode().partition(":")
        body = body.replace(b"@@visitor-token:" + marker + b"@@", token(kind, arg).encode())
    return body


@pass_context
def visitor_part(context: Context, name: str) -> Markup:
    """A template global: the part ``name`` rendered for this visitor, or its marker while a
    kept page is rendered. A part may show of the visitor only what ``visitors.identify``
    tells (their role and name) and a CSRF token: it is kept per account by that. It is
    rendered with the page's own context, as an include would be, when Flask's context
    processors made it (``render_template``); a page rendered from the bare environment (a
    mail) gets it from ``render_template``."""
    if g.get("keeping_page"):
        return Markup(f"<!--visitor-part:{name}-->")
    if "current_user" not in context:
        return Markup(render_template(name))
    template = context.environment.get_template(name)
    return Markup(template.render(context.get_all()))


def token(kind: str, arg: str = "") -> str:
    """A per-visitor token (``csrf``, or ``started`` with a form's salt) for this request, or
    its marker while a kept page is rendered (each answer gets its own)."""
    if g.get("keeping_page"):
        return _marker(kind, arg)
    return visitors.flask_token(kind, arg)


def _marker(kind: str, arg: str = "") -> str:
    return f"@@visitor-token:{kind}:{arg}@@"


def parts_cache(app: Flask) -> PartCache:
    kept = app.extensions.get("page_parts")
    if kept is None:
        kept = app.extensions.setdefault("page_parts", PartCache())
    return kept


class PartCache:
    """Visitor parts rendered for logged-in visitors, by (part, what the part shows of the
    account), with a marker for their CSRF token; least recently used out first."""

    def __init__(self, size: int = MAX_PARTS) -> None:
        self.size = size
        self.parts: OrderedDict[tuple[str, Hashable], bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, Hashable]) -> bytes | None:
        with self.lock:
            return self.parts.get(key)

    def put(self, key: tuple[str, Hashable], part: bytes) -> None:
        with self.lock:
            self.parts[key] = part
            while len(self.parts) > self.size:
                self.parts.popitem(last=False)


def _render_part(name: str, key: Hashable | None) -> bytes:
    """A visitor part for Flask's current (logged-in) visitor, kept for the front."""
    before = visitors.csrf_in_g(_marker("csrf"))
    try:
        part = render_template(name).encode()
    finally:
        visitors.csrf_in_g(before)
    if key is not None:
        parts_cache(current_app).put((name, key), part)
    return part


def _render_public(render: Callable[[], str], scopes: tuple[Scope, ...],
                   extra: Callable[[], Hashable] | None, now: Hashable, no_store: bool
                   ) -> Entry | None:
    """Render as an anonymous visitor, with markers for the visitor parts and tokens; None
    when the page shows a token made before (a form built outside ``render``)."""
    user = g.get("_login_user")
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    g.keeping_page = True
    made = visitors.csrf_in_g(_marker("csrf"))
    try:
        text = render()
        cut = PART.split(text)
        g.keeping_page = False
        pieces, parts = cut[::2], cut[1::2]
        anonymous = [render_template(name) for name in parts]
    finally:
        visitors.csrf_in_g(made)
        g.pop("keeping_page", None)
        if user is None:
            g.pop("_login_user", None)
        else:
            g._login_user = user
    if made is not None and made in text:
        return None
    whole, spans = bytearray(pieces[0].encode()), []
    for part, piece in zip(anonymous, pieces[1:], strict=True):
        start = len(whole)
        whole += part.encode()
        spans.append((start, len(whole)))
        whole += piece.encode()
    body = bytes(whole)
    tokens = tuple(sorted({m.decode() for m in TOKEN_MARKER.findall(body)}))
    return Entry(scopes, extra, now, stored(body), tuple(parts), tuple(spans), tokens,
                 no_store)


def register(app: Flask) -> None:
    """Install the fast path in front of Flask, and ``visitor_part`` for the templates."""
    from sunshine.pagecache.front import PageFront

    app.add_template_global(visitor_part)

    app.wsgi_app = PageFront(app.wsgi_app, app)  # type: ignore[method-assign]
