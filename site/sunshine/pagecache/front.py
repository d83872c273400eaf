"""Kept pages answered in front of Flask.

A visitor who sends no cookie, or only a session that holds a login and a CSRF token, gets a
kept page here: the anonymous page as it is, or the page with their own visitor parts (kept
per account, see ``visitors``) and fresh tokens put in. Answering here skips building a Flask
request, the session machinery and every hook, which is most of what a kept page costs; the
page's data version is still read (one query), and a logged-in visitor's account too, so a
write or a logout in any worker shows at once. A conditional request gets its 304 here, and
gzip, via httpcache. Any other request goes on to Flask, whose view keeps the page on a miss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from sunshine import pagecache
from sunshine.httpcache import serve_stored, stored
from sunshine.pagecache import visitors
from sunshine.security import HEADERS


class PageFront:
    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if (environ["REQUEST_METHOD"] not in ("GET", "HEAD") or environ.get("HTTP_AUTHORIZATION")
                or not pagecache.enabled(self.app)):
            return self.wsgi_app(environ, start_response)
        entry = pagecache.store(self.app).get(pagecache.request_key(environ))
        if entry is None:
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():
            answer = self._answer(environ, entry)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        page, extra, private = answer
        own = {name.lower() for name, _ in extra}
        headers = [(name, value) for name, value in HEADERS.items()
                   if name.lower() not in own] + extra
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", "max-age=31536000"))
        return serve_stored(environ, start_response, page, headers, private=private,
                            no_store=entry.no_store, content_type=entry.content_type)

    def _answer(self, environ: dict[str, Any], entry: pagecache.Entry
                ) -> tuple[Any, list[tuple[str, str]], bool] | None:
        """(page, headers, private) for this visitor, or None for Flask to answer."""
        app = self.app
        if entry.is_data:  # the same for every visitor
            if pagecache.version(entry.scopes, entry.extra) != entry.version:
                return None
            return entry.page, list(entry.headers), False
        visitor = None  # no cookie: a new session, made only for a page with a token
        if environ.get("HTTP_COOKIE"):
            visitor = visitors.read(app, environ)
            if visitor is None:
                return None
        key = visitor.key if visitor is not None else None
        if (entry.anonymous_only if key is not None else entry.logged_in_only):
            return None
        if pagecache.version(entry.scopes, entry.extra) != entry.version:
            return None
        if key is None and entry.shared:
            return entry.page, list(entry.headers), False
        if visitor is None:
            visitor = visitors.FrontVisitor(visitors.new_session(), None)
        part = None
        if visitor.key is not None:
            cache = pagecache.parts_cache(app)
            parts = {name: cache.get((name, visitor.key)) for name in entry.parts}
            if None in parts.values():
                return None  # Flask renders this account's parts once, for the next time
            part = parts.get
        body = pagecache.personal(entry, visitor.key, part,
                                  lambda kind, arg: visitor.token(app, kind, arg))
        return stored(body), [*entry.headers, *visitor.cookie_headers(app)], True
