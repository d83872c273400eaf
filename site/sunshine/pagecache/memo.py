"""Values that cost a province-wide computation (the complaint statistics after disclosure
control, the sitemap's list of pages), remembered per worker until the data they come from
change.

A value is remembered with the versions of its scopes (the page cache's, see ``versions``),
read in the request's own transaction just before the value is computed: on SQLite that is
the snapshot the computation reads, on PostgreSQL an older one, so a value is never kept
under a version newer than its data. A value may also say until when it holds (a deadline
that passes changes an on-time rate without any write). These are data, never a rendered
page: they serve whether the page cache is on or off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from flask import current_app

from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.pagecache.versions import _ROWS, Scope, ancestors, prefix

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
    """The versions of ``scopes`` as a page of them depends on (each scope's region's
    ``below`` and its ancestors' ``own``), read in the session's transaction."""
    wanted: list[tuple[str, str, str]] = []
    for feature, code in scopes:
        wanted.append((feature, prefix(code), "below"))
        wanted.extend((feature, above, "own") for above in ancestors(code))
    rows = {(f, r): {"own": own, "below": below} for f, r, own, below in db.session.execute(
        _ROWS, {"features": sorted({f for f, _, _ in wanted}),
                "regions": sorted({r for _, r, _ in wanted})})}
    return tuple(rows.get((f, r), {}).get(column, 0) for f, r, column in wanted)


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
