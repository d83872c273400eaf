"""What every published record shares: its state, and the append-only hash chain of every
version that was ever public (``LedgerEntry``), with its head (``LedgerHead``)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DDL, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db


class State(enum.StrEnum):
    """Where a record is in its public life."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "published": "已公开", "withdrawn": "已撤回"}[self.value]


def state_column() -> Mapped[str]:
    return mapped_column(String(12), default=State.DRAFT.value)


class LedgerEntry(db.Model):  # type: ignore[name-defined]
    """One link of the hash chain: ``hash = sha256(prev_hash + payload)``.

    ``payload`` is the canonical JSON of the record version, kept as the exact text that was
    hashed. ``prev_hash`` is unique, so the chain cannot fork even under concurrent writers.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_record", "record_type", "record_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerHead(db.Model):  # type: ignore[name-defined]
    """The newest entry's number and hash: one row, locked by every writer of the chain.

    ``changes`` counts every write to funds and projects, drafts included: public pages are
    cached per process under this number, so a change anywhere shows at once everywhere.
    """

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    changes: Mapped[int] = mapped_column(Integer, default=0)


class AppendOnly(RuntimeError):
    """Entries of the public record are never changed or deleted."""


@event.listens_for(LedgerEntry, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: Any) -> None:
    raise AppendOnly("ledger entries cannot be changed")


@event.listens_for(LedgerEntry, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: Any) -> None:
    raise AppendOnly("ledger entries cannot be deleted")


def append_only_statements(dialect: str) -> list[str]:
    """Triggers that refuse UPDATE and DELETE of ledger entries, even from raw SQL."""
    if dialect == "sqlite":
        return [
            "CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry "
            "BEGIN SELECT RAISE(ABORT, 'the public record is append-only'); END",
            "CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry "
            "BEGIN SELECT RAISE(ABORT, 'the public record is append-only'); END",
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the public record is append-only'; END; $$ LANGUAGE plpgsql",
            "CREATE TRIGGER ledger_entry_no_change BEFORE UPDATE OR DELETE ON ledger_entry "
            "FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only()",
        ]
    return []


for _dialect in ("sqlite", "postgresql"):
    for _statement in append_only_statements(_dialect):
        event.listen(LedgerEntry.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))
