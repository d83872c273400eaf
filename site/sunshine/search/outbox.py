"""The search outbox: which documents changed, written in the transaction of the change.

A feature that publishes, edits or withdraws something public calls ``changed(...)`` before its
commit. That adds one ``search_outbox`` row per document to the same session, so the row is
committed, or rolled back, with the change itself: a crash after the commit loses nothing, and a
rolled-back change leaves nothing to index. Every application node then applies the outbox to
its own Whoosh index (``search.node``). A row names the document (``article:12``) and what the
writer did; the node reads the document back from the database when it applies the row, so
applying a row twice, or late, still leaves the index as the database is.

``search_node`` holds each node's position in the outbox, for ``sunshine search status`` and
for pruning the rows every node has applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db

UPSERT, DELETE = "upsert", "delete"
#: A region was renamed: every document of its subtree may show the old name (a fund names
#: its county, a village's page its town); the row names the region (``region:45…``).
SUBTREE = "subtree"

#: SQLite makes a row id an alias of the key only for INTEGER; AUTOINCREMENT (below) keeps it
#: from reusing the ids of pruned rows, which a node has already passed.
_ID = BigInteger().with_variant(Integer(), "sqlite")


class OutboxRow(db.Model):  # type: ignore[name-defined]
    __tablename__ = "search_outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    #: The document's id in the index: its kind, a colon and its key (``article:12``).
    doc_id: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NodeRow(db.Model):  # type: ignore[name-defined]
    """An application node as it last reported. ``position`` is the highest outbox id in its
    index, and every row up to ``floor`` is in it (the ones between may still be committing).
    ``seen_at`` says it is alive; a node silent for the retention period is forgotten."""

    __tablename__ = "search_node"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    floor: Mapped[int] = mapped_column(BigInteger, default=0)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def changed(upserts: Iterable[str] = (), deletes: Iterable[str] = (),
            subtrees: Iterable[str] = ()) -> None:
    """Documents ``upserts`` are public (new or edited) and ``deletes`` no longer are; every
    document of the regions ``subtrees`` (region codes) is to be read again: add an outbox row
    for each to the current session, to be committed with the change.

    :raise ValueError: an id without its key (an object not yet flushed has no id).
    :raise RuntimeError: called outside a transaction, e.g. after the change's commit: the
        row would wait for some later commit, or be lost with the session.
    """
    rows = [(doc_id, UPSERT) for doc_id in upserts] + [(doc_id, DELETE) for doc_id in deletes] \
        + [(f"region:{code}", SUBTREE) for code in subtrees]
    for doc_id, _action in rows:
        kind, _, key = doc_id.partition(":")
        if not kind or not key or key == "None":
            raise ValueError(f"not a search document id: {doc_id!r}")
    if not db.session().in_transaction():
        raise RuntimeError("search.outbox.changed() belongs before the change's commit")
    db.session.add_all(OutboxRow(doc_id=doc_id, action=action) for doc_id, action in rows)


def regions_renamed(region_codes: list[str]) -> None:
    """A rename's outbox rows: the documents under each renamed region (they may carry its
    name) are read again from the database."""
    changed(subtrees=region_codes)
