"""Dashboard tiles: each feature registers what waits for a staff member's region."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope
from sunshine.extensions import db
from sunshine.regions.models import Region


@dataclass
class Tile:
    label: str
    count: int
    url: str | None = None
    urgent: bool = False


TileSource = Callable[[User], list[Tile]]
TILE_SOURCES: list[TileSource] = []


def register_tiles(func: TileSource) -> TileSource:
    TILE_SOURCES.append(func)
    return func


@register_tiles
def _foundation_tiles(user: User) -> list[Tile]:
    regions = db.session.scalar(
        select(func.count()).select_from(Region).where(region_scope(user, Region.code))) or 0
    staff = db.session.scalar(
        select(func.count()).select_from(User).where(region_scope(user, User.region_code))) or 0
    return [Tile("辖区内区划", regions, "/admin/regions/"), Tile("辖区内工作人员账号", staff)]


def tiles_for(user: User) -> list[Tile]:
    return [tile for source in TILE_SOURCES for tile in source(user)]


@dataclass(frozen=True)
class Section:
    """A link in the back-office navigation; ``roles`` empty means every staff role."""

    label: str
    endpoint: str
    roles: frozenset[str] = frozenset()


#: The back-office navigation; each feature appends its section with ``register_section``.
SECTIONS: list[Section] = [
    Section("工作台", "admin.dashboard"),
    Section("辖区", "admin_regions.detail"),
    Section("账号管理", "admin.users", frozenset({"admin"})),
    Section("操作日志", "admin.audit"),
]


def register_section(section: Section) -> None:
    if section not in SECTIONS:
        SECTIONS.append(section)


def sections_for(user: User) -> list[Section]:
    return [s for s in SECTIONS if not s.roles or user.role.value in s.roles]
