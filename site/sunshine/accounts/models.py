"""User accounts and login attempts."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.regions.models import Region


class Role(enum.StrEnum):
    ADMIN = "admin"  # province administrator: everything, user management
    STAFF = "staff"  # scoped to a city, county, town or village
    OVERSIGHT = "oversight"  # 督查: sees complainant identities, each view logged
    EDITOR = "editor"  # writes news and policy guides for a region
    DONOR = "donor"  # self-registered
    SELLER = "seller"  # self-registered

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "省级管理员",
    Role.STAFF: "工作人员",
    Role.OVERSIGHT: "督查",
    Role.EDITOR: "编辑",
    Role.DONOR: "爱心人士",
    Role.SELLER: "销售主体",
}
#: Roles that work in the back office and are scoped to a region.
STAFF_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.OVERSIGHT, Role.EDITOR})
PUBLIC_ROLES = frozenset({Role.DONOR, Role.SELLER})


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str | None] = mapped_column(String(254), unique=True, default=None)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16,
                                            values_callable=lambda e: [m.value for m in e]))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), default=None,
                                                    index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped by logout and password change: every session and remember cookie carrying the
    # old number stops working at its next request.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    region: Mapped[Region | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


#: Whoever makes a request: a signed-in user or Flask-Login's anonymous visitor.
Visitor = User | AnonymousUserMixin


class LoginAttempt(db.Model):  # type: ignore[name-defined]
    """One login try; failures in a window slow the address (or device) that made them."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    # The owner's known browser (its device cookie), counted apart from its address.
    device: Mapped[str] = mapped_column(String(16), default="")
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
