"""Kept pages answered in front of Flask, for visitors who send no cookie.

Such a visitor has no session, no account and nothing flashed, so a kept page is theirs as it
is. Answering here skips building a Flask request, the session and every hook, which is most
of what a kept page costs; the page's data version is still read (one query), so a write in
any worker shows at once. A conditional request gets its 304 here, and gzip, via httpcache.
Any other request goes on to Flask, whose view keeps the page on a miss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from sunshine import pagecache
from sunshine.httpcache import serve_stored
from sunshine.security import HEADERS


class PageFront:
    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        entry = self._fresh(environ)
        if entry is None:
            return self.wsgi_app(environ, start_response)
        headers = list(HEADERS.items())
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", "max-age=31536000"))
        return serve_stored(environ, start_response, entry.page, headers)

    def _fresh(self, environ: dict[str, Any]) -> pagecache.Entry | None:
        if (environ["REQUEST_METHOD"] not in ("GET", "HEAD") or environ.get("HTTP_COOKIE")
                or environ.get("HTTP_AUTHORIZATION") or not pagecache.enabled(self.app)):
            return None
        entry = pagecache.store(self.app).get(pagecache.request_key(environ))
        if entry is None:
            return None
        with self.app.app_context():
            now = pagecache.version(entry.scopes, entry.extra)
        return entry if now == entry.version else None
