"""Data answers kept like pages: the JSON API, CSV exports, the public record's JSON and the
sitemap. They are the same for every visitor, so they are kept whatever the cookies and
whatever the query string (the store's bounds limit what a flood of odd arguments can do),
until the data of their scopes changes; each keeps its ETag, so a conditional GET gets a 304
in front of Flask.

A view is wrapped with ``@keep(scopes...)``. Only a 200 is kept, and never one marked
``private`` or ``no-store`` (meant for one visitor: a photo that only its owner may see). An
answer's own ``Cache-Control`` is kept with it (a photo's lifetime); others get
``no-cache``. A streamed answer (a large export) is read while it is sent; past ``MAX_BODY``
bytes (the public record's whole chain at province scale) it streams on and is not kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, ParamSpec

from flask import current_app, request
from werkzeug.wrappers import Response as BaseResponse

from sunshine.httpcache import stored
from sunshine.pagecache import Entry, Scope, data_response, enabled, request_key, store, version

MAX_BODY = 16 * 1024 * 1024
#: Headers of the answer that are kept with its body.
KEPT_HEADERS = ("Content-Disposition", "Cache-Control")

P = ParamSpec("P")


def keep(*scopes: Scope, extra: Callable[[], Hashable] | None = None,
         before: Callable[[], object] | None = None,
         ) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
    """Keep the view's answer until the data of ``scopes`` (or ``extra()``) changes.
    ``before()`` runs first on every request that reaches Flask (a lazy sweep of what is
    due, which may change the data)."""

    def wrap(view: Callable[P, Any]) -> Callable[P, Any]:
        @functools.wraps(view)
        def kept_view(*args: P.args, **kwargs: P.kwargs) -> Any:
            if before is not None:
                before()
            if not enabled(current_app) or request.method not in ("GET", "HEAD"):
                return view(*args, **kwargs)
            kept = store(current_app)
            key = request_key(request.environ)
            now = version(scopes, extra)
            entry = kept.get(key)
            if entry is not None and entry.version == now:
                return data_response(entry)
            answer = current_app.make_response(view(*args, **kwargs))
            entry = _entry(answer, scopes, extra, now)
            if entry is None:
                return answer
            kept.put(key, entry)
            return data_response(entry)

        return kept_view

    return wrap


def _entry(answer: BaseResponse, scopes: tuple[Scope, ...],
           extra: Callable[[], Hashable] | None, now: Hashable) -> Entry | None:
    """The answer as a kept entry; None (and the answer left whole) when it is not kept."""
    lifetime = answer.headers.get("Cache-Control", "")
    if (answer.status_code != 200 or "Content-Encoding" in answer.headers
            or "private" in lifetime or "no-store" in lifetime):
        return None
    if answer.is_streamed:
        chunks: list[bytes] = []
        size = 0
        iterator: Iterator[Any] = iter(answer.response)
        for part in iterator:
            chunk = part.encode() if isinstance(part, str) else bytes(part)
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY:
                answer.response = _resume(chunks, iterator, answer.response)
                return None
        body = b"".join(chunks)
        close = getattr(answer.response, "close", None)
        if close is not None:
            close()  # a file sent from disk
    else:
        body = answer.get_data()
        if len(body) > MAX_BODY:
            return None
    headers = tuple((name, answer.headers[name]) for name in KEPT_HEADERS
                    if name in answer.headers)
    return Entry(scopes, extra, now, stored(body), (), (),
                 content_type=answer.headers.get("Content-Type", "application/octet-stream"),
                 headers=headers)


def _resume(chunks: list[bytes], rest: Iterator[Any], source: Iterable[Any]) -> Iterator[bytes]:
    try:
        yield from chunks
        for chunk in rest:
            yield chunk.encode() if isinstance(chunk, str) else chunk
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()

