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
from markupsafe import Markup

from sunshine.clock import today
from sunshine.httpcache import StoredPage, html_response, stored
from sunshine.pagecache.versions import PageVersion, Scope, changed, signature

MAX_PAGES = 1024
PART = re.compile(r"<!--visitor-part:([\w./-]+)-->")

__all__ = ["PageVersion", "Scope", "cached", "changed", "enabled", "register", "visitor_part"]


class Entry(NamedTuple):
    """A kept page: what it depends on, the version it was rendered at, and where its
    visitor parts are in the anonymous body (no second copy of the page is kept)."""

    scopes: tuple[Scope, ...]
    extra: Callable[[], Hashable] | None
    version: Hashable
    page: StoredPage  # as an anonymous visitor gets it
    parts: tuple[str, ...]  # template names
    spans: tuple[tuple[int, int], ...]  # each part's bytes in ``page.body``

    @property
    def pieces(self) -> list[bytes]:
        """The body around the visitor parts (one more piece than parts)."""
        body, pieces, at = self.page.body, [], 0
        for start, end in self.spans:
            pieces.append(body[at:start])
            at = end
        return [*pieces, body[at:]]


class PageStore:
    """Kept pages of one app (one per worker) by raw path and query, least recently used out
    first."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
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
            self.pages[key] = entry
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


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
    return f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"


def shareable(args: Iterable[str]) -> bool:
    """The rule for a kept page: a GET or HEAD, only declared arguments, nothing flashed."""
    return (enabled(current_app) and request.method in ("GET", "HEAD")
            and set(request.args).issubset(args) and "_flashes" not in session)


def cached(render: Callable[[], str], *scopes: Scope, args: Iterable[str] = (),
           extra: Callable[[], Hashable] | None = None) -> Response:
    """``render()`` as HTML, kept until the data of ``scopes`` (or ``extra()``, a version
    of data outside the database) changes; ``args`` are the query arguments it reads."""
    if not shareable(args):
        return Response(render(), mimetype="text/html")
    kept = store(current_app)
    key = request_key(request.environ)
    now = version(scopes, extra)
    entry = kept.get(key)
    if entry is None or entry.version != now:
        entry = _render_public(render, scopes, extra, now)
        kept.put(key, entry)
    return respond(entry)


def respond(entry: Entry) -> Response:
    """The kept page with this visitor's parts."""
    from flask_login import current_user

    if not current_user.is_authenticated or not entry.parts:
        return html_response(entry.page)
    pieces = entry.pieces
    body = [pieces[0]]
    for name, piece in zip(entry.parts, pieces[1:], strict=True):
        body += [render_template(name).encode(), piece]
    return html_response(stored(b"".join(body)))


def visitor_part(name: str) -> Markup:
    """A template global: the part ``name`` rendered for this visitor, or its marker while a
    kept page is rendered."""
    if g.get("keeping_page"):
        return Markup(f"<!--visitor-part:{name}-->")
    return Markup(render_template(name))


def _render_public(render: Callable[[], str], scopes: tuple[Scope, ...],
                   extra: Callable[[], Hashable] | None, now: Hashable) -> Entry:
    """Render as an anonymous visitor, with markers for the visitor parts."""
    user = g.get("_login_user")
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    g.keeping_page = True
    try:
        cut = PART.split(render())
        g.keeping_page = False
        pieces, parts = cut[::2], cut[1::2]
        anonymous = [render_template(name) for name in parts]
    finally:
        g.pop("keeping_page", None)
        if user is None:
            g.pop("_login_user", None)
        else:
            g._login_user = user
    whole, spans = bytearray(pieces[0].encode()), []
    for part, piece in zip(anonymous, pieces[1:], strict=True):
        start = len(whole)
        whole += part.encode()
        spans.append((start, len(whole)))
        whole += piece.encode()
    return Entry(scopes, extra, now, stored(bytes(whole)), tuple(parts), tuple(spans))


def register(app: Flask) -> None:
    """Install the fast path in front of Flask, and ``visitor_part`` for the templates."""
    from sunshine.pagecache.front import PageFront

    app.add_template_global(visitor_part)

    app.wsgi_app = PageFront(app.wsgi_app, app)  # type: ignore[method-assign]
