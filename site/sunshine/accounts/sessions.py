"""Who a session belongs to: the account behind a session's ``id:session_version``, checked on
every request (a logout, a password change or a disabled account ends its sessions at once).

Flask-Login's loader (``load_session_user``) reads the account's row with one plain statement
on the driver's own cursor. A worker remembers the user object it built from that exact row:
while the row is unchanged, column for column, the request gets a copy of it put into its
database session without a query (SQLAlchemy's ``merge(load=False)``: some 25 µs against 250
µs for loading it); any change to the row, whoever made it, loads the account again. Its
region is then read when a page asks for it (the back office's header). The page cache's
front needs only what a kept page shows of a visitor (``page_visitor``: role and name),
checked the same way.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached

from sunshine.accounts.models import User
from sunshine.extensions import db
from sunshine.pagecache.versions import driver_rows
from sunshine.web import is_number

#: Accounts remembered per worker, least recently used out first.
KNOWN_USERS = 1024

_COLUMNS = [column.name for column in User.__table__.columns]
#: An account's row as the driver gives it: what a remembered user is compared with.
_SESSION_USER_SQL = (f"SELECT {', '.join(_COLUMNS)} FROM {User.__tablename__} WHERE id = ?")
_ACTIVE = _COLUMNS.index("active")
_VERSION = _COLUMNS.index("session_version")


class KnownUsers:
    """Users built from their rows, by id, with the row each was built from (one worker)."""

    def __init__(self, size: int = KNOWN_USERS) -> None:
        self.size = size
        self.users: OrderedDict[int, tuple[tuple[Any, ...], User]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, user_id: int, row: tuple[Any, ...]) -> User | None:
        with self.lock:
            known = self.users.get(user_id)
            if known is None or known[0] != row:
                return None
            self.users.move_to_end(user_id)
            return known[1]

    def put(self, user_id: int, row: tuple[Any, ...], user: User) -> None:
        with self.lock:
            self.users[user_id] = (row, user)
            self.users.move_to_end(user_id)
            while len(self.users) > self.size:
                self.users.popitem(last=False)


def known_users() -> KnownUsers:
    """The current app's remembered users."""
    found = current_app.extensions.get("known_users")
    if found is None:
        found = current_app.extensions.setdefault("known_users", KnownUsers())
    return found


def _parse(token: str) -> tuple[int, int] | None:
    user_id, _, version = token.partition(":")
    if not (is_number(user_id) and is_number(version)) or len(user_id) > 18 \
            or len(version) > 18:
        return None
    return int(user_id), int(version)


def load_session_user(token: str) -> User | None:
    """Flask-Login's loader: the token is ``id:session_version``; an old version is refused."""
    parsed = _parse(token)
    if parsed is None:
        return None
    user_id, version = parsed
    rows = driver_rows(_SESSION_USER_SQL, (user_id,))
    if rows is None:  # pragma: no cover - a driver of another parameter style
        return _load(user_id, version)
    if not rows or not rows[0][_ACTIVE] or rows[0][_VERSION] != version:
        return None
    row = rows[0]
    present = db.session.identity_map.get(db.session.identity_key(User, user_id))
    if present is not None:  # loaded by this request already: that object, as the loader
        # has always taken it (``Session.get`` gives it without a query)
        return present if isinstance(present, User) and present.active \
            and present.session_version == version else None
    known = known_users().get(user_id, row)
    if known is not None:
        return db.session.merge(known, load=False)
    user = _load(user_id, version)
    if user is not None:
        known_users().put(user_id, row, _detached_copy(user))
    return user


def _load(user_id: int, version: int) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def _detached_copy(user: User) -> User:
    """A copy of a freshly loaded user that belongs to no session, as if loaded by a query
    (its region not loaded): what ``merge(load=False)`` copies into a request's session."""
    copy = User(**{name: getattr(user, name) for name in _COLUMNS})
    make_transient_to_detached(copy)
    return copy


#: What a kept page's visitor parts show of an account, and whether its session still holds.
_PAGE_VISITOR = select(User.active, User.session_version, User.role, User.display_name
                       ).where(User.id == bindparam("user_id"))
_PAGE_VISITOR_SQL = ("SELECT active, session_version, role, display_name"
                     f" FROM {User.__tablename__} WHERE id = ?")


def page_visitor(token: str) -> tuple[str, str] | None:
    """The page cache's check of a session's user (as ``load_session_user``, one indexed
    query on a connection of its own, in the driver's own SQL): (role, display name), or
    None when the account is gone, switched off, or logged out since."""
    parsed = _parse(token)
    if parsed is None:
        return None
    user_id, version = parsed
    found = driver_rows(_PAGE_VISITOR_SQL, (user_id,))
    if found is None:  # pragma: no cover - a driver of another parameter style
        with db.engine.connect() as conn:
            found = [(row.active, row.session_version, row.role.value, row.display_name)
                     for row in conn.execute(_PAGE_VISITOR, {"user_id": user_id})]
    if not found:
        return None
    active, session_version, role, display_name = found[0]
    if not active or session_version != version:
        return None
    return str(role), display_name
