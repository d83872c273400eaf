"""Values that cost a province-wide computation (the complaint statistics after disclosure
control, the sitemap's list of pages), remembered per worker until the data they come from
change.

A value is remembered with the versions of its scopes (the page cache's, see ``versions``),
read just before the value is computed, so that a value is never kept under a version newer
than its data. A value may also say until when it holds (a deadline that passes changes an
on-time rate without any write). These are data, never a rendered page: they serve whether
the page cache is on or off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from flask import current_app

from sunshine.database import utcnow
from sunshine.pagecache.versions import Scope, signature

T = TypeVar("T")

#: Values kept per worker and kind of value, least recently used out first.
SIZE = 64


class Kept(NamedTuple):
    version: Hashable
    value: Any
    until: datetime | None


class Memo:
    """The remembered values of one kind (one app, one worker)."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self.values: OrderedDict[Hashable, Kept] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Kept | None:
        with self.lock:
            kept = self.values.get(key)
            if kept is not None:
                self.values.move_to_end(key)
            return kept

    def put(self, key: Hashable, kept: Kept) -> None:
        with self.lock:
            self.values[key] = kept
            self.values.move_to_end(key)
            while len(self.values) > self.size:
                self.values.popitem(last=False)


def memo(kind: str, size: int = SIZE) -> Memo:
    """The values of ``kind`` of the current app."""
    kinds: dict[str, Memo] = current_app.extensions.setdefault("page_memo", {})
    found = kinds.get(kind)
    if found is None:
        found = kinds.setdefault(kind, Memo(size))
    return found


def versions(scopes: Sequence[Scope]) -> tuple[int, ...]:
    """The versions of ``scopes``, as the page cache reads them (one query on a connection of
    its own). Read them before anything the value is computed from: the computation then
    reads data at least as new, and a write in between only makes the next request compute
    the value again."""
    return signature(tuple(scopes))


def remember(kind: str, key: Hashable, version: Hashable, compute: Callable[[], T],
             until: Callable[[T], datetime | None] | None = None,
             now: datetime | None = None, size: int = SIZE) -> T:
    """``compute()``, or the value it gave before at the same ``version`` of its data (see
    ``versions``, read before anything the computation reads) when ``until(value)`` (when
    given) has not passed."""
    kept_values = memo(kind, size)
    kept = kept_values.get(key)
    if kept is not None and kept.version == version \
            and (kept.until is None or (now or utcnow()) < kept.until):
        return kept.value
    value = compute()
    kept_values.put(key, Kept(version, value, until(value) if until is not None else None))
    return value
