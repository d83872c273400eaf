"""Rendered public fragments, cached per worker process under the database's change counter.

Every write to a public record (a publication, correction, withdrawal, spending or draft)
bumps ``ledger_head.changes`` in the same transaction, so a cached fragment is never served
after the data it shows has changed, in any worker. A hit costs one indexed one-row query.
The day is part of the key because deadlines (公开及时率) move with it.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Response, current_app

from sunshine.clock import today
from sunshine.httpcache import html_response, stored
from sunshine.records import ledger

MAX_ENTRIES = 512
_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_LOCK = threading.Lock()
_APPS = itertools.count(1)


def cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """``build()``'s result for ``key`` at the current data version (built once per version)."""
    if not current_app.config.get("FUNDS_PAGE_CACHE", True):
        return build()
    # Each application gets its own number (tests make many apps, each with its own database).
    app_number = current_app.extensions.setdefault("funds_cache", next(_APPS))
    full = (app_number, ledger.changes(), today(), *key)
    with _LOCK:
        if full in _CACHE:
            _CACHE.move_to_end(full)
            return _CACHE[full]
    value = build()
    with _LOCK:
        _CACHE[full] = value
        while len(_CACHE) > MAX_ENTRIES:
            _CACHE.popitem(last=False)
    return value


def cached_page(name: str, build: Callable[[], tuple[str, Any]]) -> Response:
    """A list page: its body is cached for everyone, and for an anonymous visitor without a
    session (nothing to flash, no account menu) the whole page is, with its HTTP tag."""
    from flask import render_template, request, session
    from flask_login import current_user

    key = (name, request.full_path)

    def page() -> str:
        title, body = cached(key, build)
        return render_template("records/_page.html", title=title, body=body)

    if session or current_user.is_authenticated:
        return Response(page(), mimetype="text/html")
    return html_response(cached(("page", *key), lambda: stored(page().encode())))
