"""The one permission helper: may this user touch this region's objects?

Every back-office view and service calls these; a staff member sees and changes only what lies
in their region's subtree.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, false, true
from sqlalchemy.orm import InstrumentedAttribute

from sunshine.accounts.models import STAFF_ROLES, Role, User
from sunshine.failures import PermissionDenied
from sunshine.regions import codes


def can_access_region(user: User | Any, region_code: str | None) -> bool:
    """True when ``region_code`` lies in the user's scope (admins see the whole province)."""
    if not getattr(user, "is_authenticated", False) or user.role not in STAFF_ROLES:
        return False
    if user.role == Role.ADMIN:
        return True
    if not user.region_code or not region_code:
        return False
    try:
        return codes.in_subtree(region_code, user.region_code)
    except codes.InvalidCode:
        return False


def check_region(user: User | Any, region_code: str | None) -> None:
    """:raise PermissionDenied: when the object's region is outside the user's scope."""
    if not can_access_region(user, region_code):
        raise PermissionDenied(region_code)


def region_scope(user: User, column: InstrumentedAttribute[str] | Any) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose region column lies in the user's subtree."""
    if user.role == Role.ADMIN:
        return true()
    if user.role not in STAFF_ROLES or not user.region_code:
        return false()
    lo, hi = codes.subtree_bounds(user.region_code)
    return and_(column >= lo, column <= hi)


P = ParamSpec("P")
R = TypeVar("R")


def staff_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Views for logged-in staff (optionally only some roles); others get 401/403."""
    allowed = frozenset(roles) or STAFF_ROLES

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                from sunshine.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
