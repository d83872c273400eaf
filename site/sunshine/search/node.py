"""This node's index, following the search outbox.

A node is one index folder (``SEARCH_INDEX_DIR``) on one host; every gunicorn worker of a server
shares it. The folder keeps, beside the Whoosh files, the node's position in the outbox
(``.outbox.json``) and a lock file (``.outbox.lock``): one process at a time applies, rebuilds or
writes the position, and the position always describes the index next to it (copy or wipe the
folder and the position goes with it).

Outbox ids are handed out when a row is inserted, not when it is committed: on PostgreSQL a
transaction that took id 10 may commit after one that took id 11. So a node remembers, besides
the highest id it applied, the ids below it it has not seen yet (``gaps``) and looks for them
again at each pass, for ``GAP_SECONDS``; after that an id is taken as rolled back. Applying a
row reads its document back from the database, so a row applied twice or late does no harm.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.registry import SearchDoc, registry
from sunshine.search import index
from sunshine.search.outbox import SUBTREE, NodeRow, OutboxRow

log = logging.getLogger(__name__)

STATE_FILE = ".outbox.json"
LOCK_FILE = ".outbox.lock"
#: Rows read and indexed at a time.
BATCH = 500
#: How long an id below the position is waited for: longer than any transaction that writes
#: outbox rows (an import of thousands of allocations takes a minute or two).
GAP_SECONDS = 3600
#: At most this many gaps are watched; the oldest are given up first.
MAX_GAPS = 1000
#: A rebuild watches the ids missing among this many below the top as gaps.
RECENT = 10_000
#: A node that finds nothing to apply still notes that it looked, at most this often.
HEARTBEAT_SECONDS = 60


@dataclass
class Gap:
    first: int
    last: int
    since: float  # when it was first missed (seconds since the epoch)


@dataclass
class Position:
    """Where a node's index stands in the outbox."""

    position: int  # the highest outbox id applied
    gaps: list[Gap] = field(default_factory=list)  # ids below it not seen yet
    checked_at: float = 0.0  # when the node last read the outbox through

    @property
    def floor(self) -> int:
        """Every row up to here is applied."""
        return min([self.position, *(gap.first - 1 for gap in self.gaps)])

    @classmethod
    def load(cls, folder: Path) -> Position | None:
        try:
            data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
            return cls(int(data["position"]), [Gap(**gap) for gap in data["gaps"]],
                       float(data["checked_at"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            log.warning("search: unreadable %s in %s, the index will be rebuilt", STATE_FILE,
                        folder)
            return None

    def save(self, folder: Path) -> None:
        """Written aside and renamed: a crash leaves the old position or the new, never half."""
        folder.mkdir(parents=True, exist_ok=True)
        aside = folder / f"{STATE_FILE}.{os.getpid()}"
        aside.write_text(json.dumps(asdict(self)), encoding="utf-8")
        os.replace(aside, folder / STATE_FILE)

    def after(self, ids: Sequence[int], now: float) -> Position:
        """The position once the rows ``ids`` (every row read: above the position and in its
        gaps) are applied: ids skipped on the way up become gaps, old gaps are given up."""
        seen = sorted(ids)
        top = max([self.position, *seen])
        fresh = [Gap(self.position + 1, top, now)] if top > self.position else []
        gaps = [hole for gap in self.gaps + fresh if gap.since >= now - GAP_SECONDS
                for hole in _holes(gap, seen)]
        if len(gaps) > MAX_GAPS:
            log.warning("search: %d outbox ids missing, the oldest given up", len(gaps))
            gaps = sorted(sorted(gaps, key=lambda g: g.since)[-MAX_GAPS:], key=lambda g: g.first)
        return Position(top, gaps, now)


def _holes(gap: Gap, seen: list[int]) -> Iterator[Gap]:
    """The parts of ``gap`` that ``seen`` (sorted) does not cover."""
    low = gap.first
    for found in seen[bisect.bisect_left(seen, gap.first):]:
        if found > gap.last:
            break
        if found > low:
            yield Gap(low, found - 1, gap.since)
        low = found + 1
    if low <= gap.last:
        yield Gap(low, gap.last, gap.since)


def folder() -> Path:
    return Path(current_app.config["SEARCH_INDEX_DIR"])


def node_name() -> str:
    """``SEARCH_NODE_NAME``, or the host and the index folder."""
    return current_app.config["SEARCH_NODE_NAME"] or \
        f"{socket.gethostname()}:{folder().resolve()}"


@contextlib.contextmanager
def node_lock(where: Path, wait: bool = True) -> Iterator[bool]:
    """Hold the node's lock file: yields False at once when another process or thread holds it
    and ``wait`` is false. The system drops the lock of a process that dies."""
    where.mkdir(parents=True, exist_ok=True)
    with open(where / LOCK_FILE, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Applied:
    rows: int = 0  # outbox rows read
    indexed: int = 0  # documents (re)indexed
    removed: int = 0  # documents taken out
    position: int = 0
    rebuilt: dict[str, int] | None = None  # what a rebuild indexed, when there was one


def apply_pending(wait: bool = True) -> Applied | None:
    """Apply every pending outbox row to this node's index and record the new position.

    The index is rebuilt instead when the node has no position (a new index folder), was away
    longer than the outbox keeps rows, stands past the newest row (the database was
    restored from a backup), or was made by an older version without some of today's fields.
    Returns None when ``wait`` is false and another process of this node is applying. Needs an
    application context.
    """
    where = folder()
    with node_lock(where, wait) as held:
        if not held:
            return None
        start = Position.load(where)
        why = _why_rebuild(start) or ("the index lacks fields of this version's schema"
                                      if index.outdated(where) else "")
        if start is None or why:
            log.warning("search: rebuilding this node's index: %s", why)
            counts, start = _rebuild(where)
            return Applied(position=start.position, rebuilt=counts)
        return _apply(where, start)


def _why_rebuild(start: Position | None) -> str:
    """Why the outbox cannot bring this node's index up to date, or ``""`` when it can."""
    if start is None:
        return "no position yet"
    if start.checked_at < time.time() - retention().total_seconds():
        return "away longer than the outbox keeps rows"
    if start.position > (db.session.scalar(select(func.max(OutboxRow.id))) or 0):
        return "past the newest outbox row: a restored database"
    return ""


def _apply(where: Path, position: Position) -> Applied:
    applied = Applied(position=position.position)
    while True:
        rows = _pending(position)
        now = time.time()
        if rows:
            indexed, removed = _index(where, rows)
            applied.rows += len(rows)
            applied.indexed += indexed
            applied.removed += removed
        following = position.after([row_id for row_id, _, _ in rows], now)
        if rows or following.gaps != position.gaps or \
                now - position.checked_at > HEARTBEAT_SECONDS:
            following.save(where)
            _report(following)
        position = following
        if len(rows) < BATCH:
            break
    applied.position = position.position
    if applied.rows:
        log.info("search outbox applied: %d rows, %d indexed, %d removed, position %d",
                 applied.rows, applied.indexed, applied.removed, applied.position)
    return applied


def _pending(position: Position) -> list[tuple[int, str, str]]:
    """The next rows (id, document, action) above the position and in its gaps, oldest
    first."""
    wanted = OutboxRow.id > position.position
    if position.gaps:
        wanted = or_(wanted, *(OutboxRow.id.between(g.first, g.last) for g in position.gaps))
    query = (select(OutboxRow.id, OutboxRow.doc_id, OutboxRow.action).where(wanted)
             .order_by(OutboxRow.id).limit(BATCH))
    return [(row_id, doc_id, action) for row_id, doc_id, action in db.session.execute(query)]


def _index(where: Path, rows: list[tuple[int, str, str]]) -> tuple[int, int]:
    """Make the index hold what the database holds now for each document the rows name (the
    row's action is what the writer meant; the database has the last word). A renamed
    region's row names, besides the region, every document of its subtree in this index: one
    not in it yet reads the new name when its own row is applied."""
    named = [doc_id for _, doc_id, _ in rows]
    for _, doc_id, action in rows:
        if action == SUBTREE:
            named += index.documents_under(where, doc_id.partition(":")[2])
    doc_ids = list(dict.fromkeys(named))
    indexed = removed = 0
    for start in range(0, len(doc_ids), BATCH):
        wanted = doc_ids[start:start + BATCH]
        docs = load_documents(wanted)
        public = {doc.id for doc in docs}
        gone = [doc_id for doc_id in wanted if doc_id not in public]
        index.update(where, docs, gone)
        indexed, removed = indexed + len(docs), removed + len(gone)
    return indexed, removed


def load_documents(doc_ids: Sequence[str]) -> list[SearchDoc]:
    """The documents among ``doc_ids`` that are public now, from each kind's loader."""
    keys: dict[str, list[str]] = {}
    for doc_id in doc_ids:
        kind, _, key = doc_id.partition(":")
        keys.setdefault(kind, []).append(key)
    loaders = registry().search_loaders
    docs: list[SearchDoc] = []
    # Loaders may build page URLs with url_for, which needs a request context.
    with current_app.test_request_context("/"):
        for kind, wanted in keys.items():
            loader = loaders.get(kind)
            if loader is None:
                log.warning("search: no loader for %r documents; they are taken out", kind)
                continue
            docs.extend(loader(wanted))
    return docs


def warm_up() -> None:
    """Load the analyzers' dictionaries (words, pinyin: a second or two, once per process)."""
    for _name, indexed in index.schema().items():
        analyzer = getattr(indexed, "analyzer", None)
        if analyzer is not None:
            list(analyzer("扶贫", mode="index"))


def rebuild(procs: int | None = None) -> dict[str, int]:
    """Rebuild this node's index from the database and set its position in the outbox."""
    where = folder()
    with node_lock(where):
        return _rebuild(where, procs)[0]


def _rebuild(where: Path, procs: int | None = None) -> tuple[dict[str, int], Position]:
    # The position is read before the documents: what commits meanwhile is applied again.
    now = time.time()
    top = db.session.scalar(select(func.max(OutboxRow.id))) or 0
    recent = db.session.scalars(select(OutboxRow.id).where(OutboxRow.id > top - RECENT)).all()
    start = Position(max(0, top - RECENT), [], now).after(recent, now)
    counts = index.rebuild(where, procs)
    start.save(where)
    _report(start)
    return counts, start


def retention() -> timedelta:
    return timedelta(days=current_app.config["SEARCH_OUTBOX_RETENTION_DAYS"])


def _report(position: Position) -> None:
    """Tell the other nodes (and ``search status``) where this one stands, on a connection of
    its own: the caller's session may hold work of its own."""
    values = {"name": node_name(), "position": position.position, "floor": position.floor,
              "seen_at": utcnow()}
    table = NodeRow.__table__
    dialect = db.engine.dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_update(
        index_elements=["name"], set_={k: v for k, v in values.items() if k != "name"})
    with db.engine.begin() as conn:
        conn.execute(statement)


def prune(now: datetime | None = None) -> int:
    """Delete the outbox rows every node has applied, and any older than the retention period;
    forget the nodes not seen for that long (they rebuild when they come back). The newest row
    stays, so that a node can tell a restored database by its position. Returns the number of
    rows deleted."""
    cutoff = (now or utcnow()) - retention()
    with db.engine.begin() as conn:
        conn.execute(delete(NodeRow).where(NodeRow.seen_at < cutoff))
        floor = conn.scalar(select(func.min(NodeRow.floor)))
        newest = conn.scalar(select(func.max(OutboxRow.id)))
        if newest is None:
            return 0
        old = OutboxRow.created_at < cutoff
        result = conn.execute(delete(OutboxRow).where(
            old if floor is None else or_(old, OutboxRow.id <= floor), OutboxRow.id < newest))
    return int(result.rowcount)


@dataclass
class Lag:
    name: str
    position: int
    pending: int  # outbox rows above the position
    oldest: datetime | None  # when the oldest of them was written
    seen_at: datetime
    here: bool  # this node


def status() -> list[Lag]:
    """Every node known to the database, with how far its index is behind the outbox."""
    here = node_name()
    lags = []
    for node in db.session.execute(select(NodeRow).order_by(NodeRow.name)).scalars():
        pending, oldest = db.session.execute(
            select(func.count(OutboxRow.id), func.min(OutboxRow.created_at))
            .where(OutboxRow.id > node.position)).one()
        lags.append(Lag(node.name, node.position, pending, oldest, node.seen_at,
                        node.name == here))
    return lags
