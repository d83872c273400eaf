"""Rate-limit counters in the site's own database, so that a limit holds across every worker
process and every node, not per worker.

Flask-Limiter counts through a storage of the ``limits`` library; this module adds one for
``RATELIMIT_STORAGE_URI = "database://"`` (the default): one row per limited key and fixed
window (the strategy the site uses), bumped by a single upsert on a connection of its own, so
that the count is committed whatever the request's own transaction does. Only submissions are
limited (``extensions._reading_is_never_limited``), so the writes are as rare as they are.
"""

from __future__ import annotations

import hashlib
import time

from limits.storage import Storage
from sqlalchemy import Float, Integer, String, case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from sunshine.extensions import db

#: Windows that ended this long ago are swept when a new window begins.
SWEEP_AFTER_SECONDS = 3600
KEY_LENGTH = 200


class RateLimitCounter(db.Model):  # type: ignore[name-defined]
    """Hits of one limited key (a limit, an endpoint, an address) in its current window."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds since the epoch at which the window ends (what ``limits`` works in).
    expires_at: Mapped[float] = mapped_column(Float, index=True)


_TABLE = RateLimitCounter.__table__


def _key(key: str) -> str:
    """Keys name an address and a limit; an unusually long one is kept as its digest."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """The ``limits`` storage for ``database://``: fixed windows in ``rate_limit_counter``.

    It uses the database of the application handling the request (``db.engine``), so one
    Flask-Limiter serves every app built in a process.
    """

    STORAGE_SCHEME = ["database"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` hits to the key's window (a new window if the last one ended) and
        return the hits so far in it."""
        now = time.time()
        ends = now + expiry
        dialect = db.engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        ended = _TABLE.c.expires_at <= now
        statement = insert(_TABLE).values(key=_key(key), hits=amount, expires_at=ends) \
            .on_conflict_do_update(
                index_elements=["key"],
                set_={"hits": case((ended, amount), else_=_TABLE.c.hits + amount),
                      "expires_at": case((ended, ends), else_=_TABLE.c.expires_at)},
            ).returning(_TABLE.c.hits)
        with db.engine.begin() as conn:
            hits = int(conn.execute(statement).scalar_one())
            if hits == amount:  # a window began: sweep the ones long over
                conn.execute(delete(_TABLE).where(
                    _TABLE.c.expires_at < now - SWEEP_AFTER_SECONDS))
        return hits

    def get(self, key: str) -> int:
        with db.engine.connect() as conn:
            hits = conn.execute(select(_TABLE.c.hits).where(
                _TABLE.c.key == _key(key), _TABLE.c.expires_at > time.time())).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with db.engine.connect() as conn:
            ends = conn.execute(select(_TABLE.c.expires_at).where(
                _TABLE.c.key == _key(key), _TABLE.c.expires_at > now)).scalar()
        return float(ends) if ends is not None else now

    def check(self) -> bool:
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return int(conn.execute(delete(_TABLE)).rowcount)

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(_TABLE).where(_TABLE.c.key == _key(key)))
