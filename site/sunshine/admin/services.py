"""Reading the audit log in the back office: its entries by region, and action labels."""

from __future__ import annotations

from sqlalchemy import Select, select

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope
from sunshine.audit import AuditEntry

#: Labels of the kernel's and the back office's own audit-log actions; each feature registers
#: the labels of its actions in its ``init_app``.
ACTION_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出",
    "password_changed": "修改密码",
    "user_created": "创建账号",
    "user_updated": "修改账号",
    "user_registered": "注册",
    "permission_denied": "越权访问（已拒绝）",
}


def audit_query(viewer: User, action: str | None = None) -> Select[tuple[AuditEntry]]:
    """Entries a staff member may read: those about their region's subtree (admins: all)."""
    query = select(AuditEntry).where(region_scope(viewer, AuditEntry.region_code))
    if action:
        query = query.where(AuditEntry.action == action)
    return query.order_by(AuditEntry.id.desc())
