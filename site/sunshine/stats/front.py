"""The statistics pages' render cache, answered in front of Flask.

A visitor who sends no cookie has no session, no account and nothing flashed: the page is the
same as for any other such visitor. ``/stats/`` pages rendered for them are already kept per
worker (``views.PageCache``, keyed by the latest rollup build); this WSGI layer serves those
kept bodies before Flask builds a request, opens a session or runs a hook, which is most of
what a cached page costs (a conditional request is answered 304 here too, and a gzipped
body is compressed once). The build id is still read at most once a second, inside an
application context, so an import shows within a second; any other request goes to Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from sunshine.httpcache import StoredPage, serve_stored
from sunshine.security import HEADERS

PREFIX = "/stats/"


class StatsFront:
    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        page = self._cached(environ)
        if page is None:
            return self.wsgi_app(environ, start_response)
        headers = list(HEADERS.items())
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", "max-age=31536000"))
        return serve_stored(environ, start_response, page, headers)

    def _cached(self, environ: dict[str, Any]) -> StoredPage | None:
        path = environ.get("PATH_INFO", "")
        if (environ["REQUEST_METHOD"] not in ("GET", "HEAD") or not path.startswith(PREFIX)
                or environ.get("HTTP_COOKIE") or environ.get("HTTP_AUTHORIZATION")
                or not self.app.config.get("STATS_PAGE_CACHE", True)):
            return None
        cache = self.app.extensions.get("stats_page_cache")
        if cache is None:
            return None
        query = environ.get("QUERY_STRING", "")
        if not (path.isascii() and query.isascii()):
            return None  # Flask decodes these; let it
        key = f"{path}?{query}"  # Flask's request.full_path
        if not cache.build_is_fresh():
            with self.app.app_context():
                build = cache.current_build()
        else:
            build = cache.build
        return cache.get(key, build)


def register(app: Flask) -> None:
    app.wsgi_app = StatsFront(app.wsgi_app, app)  # type: ignore[method-assign]
