"""Writing and reading the audit log."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import Select, select

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope
from sunshine.admin.models import AuditEntry
from sunshine.extensions import db

ACTION_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出",
    "password_changed": "修改密码",
    "user_created": "创建账号",
    "user_updated": "修改账号",
    "user_registered": "注册",
}


def record(
    action: str,
    actor: User | Any | None = None,
    object_type: str = "",
    object_id: object = "",
    region_code: str | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add one audit entry to the current transaction (the caller commits with its change).

    The client address is read from the request when there is one, so that services need not
    pass it along; CLI actions have none.
    """
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        actor_id=actor.id if is_user else None,
        actor_name=actor.username if is_user else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        region_code=region_code,
        address=(request.remote_addr or "")[:64] if has_request_context() else "",
        detail=detail[:2000],
    )
    db.session.add(entry)
    return entry


def audit_query(viewer: User, action: str | None = None) -> Select[tuple[AuditEntry]]:
    """Entries a staff member may read: those about their region's subtree (admins: all)."""
    query = select(AuditEntry).where(region_scope(viewer, AuditEntry.region_code))
    if action:
        query = query.where(AuditEntry.action == action)
    return query.order_by(AuditEntry.id.desc())
