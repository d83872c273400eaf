"""The append-only audit log: who did what to which object, and the audited 403.

Every feature writes here with its own change (``record``), and every refused reach into
another region goes through ``deny``, so the log is the one place to read both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

from flask import abort, has_request_context, request
from flask_login import current_user
from sqlalchemy import DDL, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db


class AuditEntry(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None,
                                                 index=True)
    # Kept as text too, so the entry still says who it was if the account is renamed.
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    region_code: Mapped[str | None] = mapped_column(String(12), default=None, index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class AppendOnly(RuntimeError):
    """Audit entries are never changed or deleted."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AppendOnly("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AppendOnly("audit entries cannot be deleted")


def append_only_statements(dialect: str) -> list[str]:
    """Database triggers that refuse UPDATE and DELETE on the audit log, even from raw SQL."""
    if dialect == "sqlite":
        return [
            "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
            "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql",
            "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
        ]
    return []


# create_all (tests, fresh instances) gets the same triggers as the migration.
for _dialect in ("sqlite", "postgresql"):
    for _statement in append_only_statements(_dialect):
        event.listen(AuditEntry.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))


def record(
    action: str,
    actor: object | None = None,
    object_type: str = "",
    object_id: object = "",
    region_code: str | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add one audit entry to the current transaction (the caller commits with its change).

    ``actor`` is the account that acted; an anonymous visitor or a CLI run leaves the entry
    without one. The client address is read from the request when there is one, so that
    services need not pass it along.
    """
    signed_in = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None) if signed_in else None,
        actor_name=getattr(actor, "username", "") if signed_in else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        region_code=region_code,
        address=(request.remote_addr or "")[:64] if has_request_context() else "",
        detail=detail[:2000],
    )
    db.session.add(entry)
    return entry


def deny(object_type: str, object_id: object, region_code: str | None) -> NoReturn:
    """Answer 403 and keep the attempt in the audit log, under the region reached for.

    The unfinished change is rolled back first, so that only the refusal is committed.
    """
    db.session.rollback()
    record("permission_denied", current_user, object_type, object_id, region_code,
           f"{request.method} {request.path}")
    db.session.commit()
    abort(403)
