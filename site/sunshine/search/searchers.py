"""This process's searcher of each index, opened once per index generation and shared by the
requests, with what is worth keeping as long as it is open (queries as parsed for it).

A request asks for the searcher; it is reopened when the index on disk has a newer generation
(a rebuild, or the outbox applied here or on another node sharing the folder), so a change
shows at the next request. Whoosh's ``Searcher.refresh()`` reuses the old segment readers and
so keeps showing documents deleted since: a new searcher (~100 ms at 20 k documents) is right.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

T = TypeVar("T")

#: Parsed queries kept per open index, least recently used out first.
PLANS = 512


@dataclass
class Opened:
    """An open index: its searcher, a number that no other opening in this process had, and
    the queries parsed for it (a parse looks words up in this generation of the index)."""

    searcher: Searcher
    version: int
    plans: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()``, or what it gave before for ``key`` on this opening."""
        with self.lock:
            found = self.plans.get(key)
            if found is not None:
                self.plans.move_to_end(key)
                return found
        made = build()
        with self.lock:
            self.plans[key] = made
            while len(self.plans) > PLANS:
                self.plans.popitem(last=False)
        return made


_OPEN: dict[str, Opened] = {}
_NUMBERS = itertools.count(1)
_LOCK = threading.Lock()


def opened(index_dir: str | Path) -> Opened | None:
    """The index as this process has it open, reopened first when it changed on disk; None
    when there is no index yet."""
    folder = str(index_dir)
    with _LOCK:
        current = _OPEN.get(folder)
        if current is not None:
            if current.searcher.up_to_date():
                return current
            current.searcher.close()
            del _OPEN[folder]
        if not whoosh_index.exists_in(folder):
            return None
        current = Opened(whoosh_index.open_dir(folder).searcher(), next(_NUMBERS))
        _OPEN[folder] = current
        return current


def open_searcher(index_dir: str | Path) -> Searcher | None:
    """This process's searcher of the index (None when there is no index yet)."""
    current = opened(index_dir)
    return current.searcher if current is not None else None


def index_version(index_dir: str | Path) -> int:
    """A number that changes whenever this process opens the index anew (after a rebuild or
    an update): the key of kept search pages and suggestions."""
    current = opened(index_dir)
    return current.version if current is not None else 0


def forget(index_dir: str | Path) -> None:
    """Close the searcher of an index whose folder was replaced (a rebuild)."""
    with _LOCK:
        old = _OPEN.pop(str(index_dir), None)
    if old is not None:
        old.searcher.close()
