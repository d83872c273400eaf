"""Dashboard tiles and back-office navigation, gathered from what each feature registered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import region_scope
from sunshine.audit import AuditEntry
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.regions.models import Region
from sunshine.registry import Section, Tile, registry

#: The back office's own links, ahead of the features' sections.
SECTIONS = (
    Section("工作台", "admin.dashboard"),
    Section("辖区", "admin_regions.detail"),
    Section("账号管理", "admin.users", frozenset({"admin"})),
    Section("操作日志", "admin.audit"),
)


def foundation_tiles(user: User) -> list[Tile]:
    regions = db.session.scalar(
        select(func.count()).select_from(Region).where(region_scope(user, Region.code))) or 0
    staff = db.session.scalar(
        select(func.count()).select_from(User).where(region_scope(user, User.region_code))) or 0
    tiles = [Tile("辖区内区划", regions, "/admin/regions/", waiting=False),
             Tile("辖区内工作人员账号", staff, waiting=False)]
    if user.role == Role.ADMIN:
        # Accounts somebody kept guessing the password of (accounts.throttle).
        alerts = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "login_alert",
                AuditEntry.at >= utcnow() - timedelta(days=1))) or 0
        tiles.append(Tile("24 小时内账号疑遭猜测密码", alerts, "/admin/audit/?action=login_alert",
                          urgent=alerts > 0))
    return tiles


def tiles_for(user: User) -> list[Tile]:
    return [tile for source in registry().tile_sources for tile in source(user)]


def sections_for(user: User) -> list[Section]:
    return [s for s in registry().sections if not s.roles or user.role.value in s.roles]
