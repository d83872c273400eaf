"""Whole rendered pages for anonymous visitors, kept per worker under a data version.

A page that is the same for every anonymous visitor (no account menu, nothing flashed) is
rendered once per version of the data it shows and then served from memory. The caller
supplies the version: a cheap query that changes with every write that could change the page
(for articles, the newest article_version row). When it costs a query, the caller can have
it asked at most once every ``every`` seconds per worker, so a cached page costs no query at
all: a write in this worker calls ``changed()`` and shows at once here, and within that time
in the other workers. The key also holds the day, for pages that expire.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime

from flask import Response, current_app, session
from flask_login import current_user

from sunshine.httpcache import StoredPage, html_response, stored

MAX_PAGES = 1024


class PageCache:
    """Rendered bodies of one app (one per worker), least recently used out first."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self.pages: OrderedDict[Hashable, StoredPage] = OrderedDict()
        self.lock = threading.Lock()
        self.version: Hashable = None
        self.checked = -1e9

    def current_version(self, version: Callable[[], Hashable], every: float) -> Hashable:
        now = time.monotonic()
        if now - self.checked >= every:
            self.version, self.checked = version(), now
        return self.version

    def get(self, key: Hashable) -> StoredPage | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: StoredPage) -> None:
        with self.lock:
            self.pages[key] = page
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


def _cache(name: str) -> PageCache:
    caches: dict[str, PageCache] = current_app.extensions.setdefault("page_caches", {})
    if name not in caches:
        caches[name] = PageCache()
    return caches[name]


def changed(name: str) -> None:
    """The data behind cache ``name`` changed in this worker: ask for the version again."""
    cache = current_app.extensions.get("page_caches", {}).get(name)
    if cache is not None:
        cache.checked = -1e9


def anonymous() -> bool:
    """True when the page looks the same for this visitor as for any other."""
    return (current_app.config.get("PAGE_CACHE", True) and not current_user.is_authenticated
            and "_flashes" not in session)


def cached_html(name: str, key: Hashable, version: Callable[[], Hashable],
                render: Callable[[], str], every: float = 0.0) -> Response:
    """``render()`` as HTML, from the cache ``name`` when this visitor is anonymous;
    ``version()`` is asked at most once every ``every`` seconds."""
    if not anonymous():
        return Response(render(), mimetype="text/html")
    cache = _cache(name)
    full = (cache.current_version(version, every), datetime.now(UTC).date(), key)
    page = cache.get(full)
    if page is None:
        page = stored(render().encode())
        cache.put(full, page)
    return html_response(page)
