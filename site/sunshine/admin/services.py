"""Reading the audit log in the back office: which entries a staff member may read.

An entry is read by the roles its action was registered for (``registry.AuditAction``), within
their region; by the province administrator always; and by the account that made it. Entries
made by an oversight (督查) account are read only by oversight and the administrator, whatever
their action: who oversight looks at is not the business of the people it oversees.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import region_scope
from sunshine.audit import AuditEntry
from sunshine.registry import registry

#: Accounts: logins (with the names people typed), addresses, accounts made and changed. Only
#: the province administrator, who manages accounts, reads them.
ACCOUNT_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_throttled": "登录受限",
    "login_alert": "账号疑遭猜测密码",
    "logout": "退出",
    "password_changed": "修改密码",
    "user_created": "创建账号",
    "user_updated": "修改账号",
    "user_registered": "注册",
    "registration_repeated": "用已注册的联系方式再次注册",
}
#: Refused reaches into another region: read by the staff of the region reached for.
ACCESS_LABELS = {
    "permission_denied": "越权访问（已拒绝）",
}


def readable_actions(viewer: User) -> dict[str, str]:
    """The actions (→ labels) whose entries ``viewer``'s role may read."""
    actions = registry().audit_actions
    return {action: spec.label for action, spec in actions.items()
            if viewer.role == Role.ADMIN or viewer.role.value in spec.readers}


def audit_query(viewer: User, action: str | None = None) -> Select[tuple[AuditEntry]]:
    """Entries ``viewer`` may read, newest first (see the module's docstring)."""
    visible: ColumnElement[bool]
    if viewer.role == Role.ADMIN:
        visible = true()
    elif viewer.is_staff:
        by_role = and_(AuditEntry.action.in_(list(readable_actions(viewer))),
                       region_scope(viewer, AuditEntry.region_code))
        if viewer.role != Role.OVERSIGHT:
            oversight = select(User.id).where(User.role == Role.OVERSIGHT)
            by_role = and_(by_role, or_(AuditEntry.actor_id.is_(None),
                                        AuditEntry.actor_id.not_in(oversight)))
        visible = or_(by_role, AuditEntry.actor_id == viewer.id)
    else:
        visible = false()
    query = select(AuditEntry).where(visible)
    if action:
        query = query.where(AuditEntry.action == action)
    return query.order_by(AuditEntry.id.desc())
