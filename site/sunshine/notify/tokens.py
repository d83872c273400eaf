"""The secrets in mailed links: 128 random bits each, kept only as a SHA-256 hash.

A slow hash is not needed: the tokens are random, not chosen by people, so a copy of the table
cannot be searched for them. Tokens are minted when a message is sent (``sender``), never
when it is queued, so that the outbox does not hold them in clear either.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ColumnElement, and_

from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.notify.models import Token

#: Longest token accepted from a URL; anything longer is not one of ours.
MAX_LENGTH = 64


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue(purpose: str, *, subscriber_id: int | None = None, subscription_id: int | None = None,
          ref: str | None = None, now: datetime | None = None) -> str:
    """A new token for ``purpose``; the caller's transaction stores its hash."""
    token = secrets.token_urlsafe(16)
    db.session.add(Token(hash=digest(token), purpose=purpose, subscriber_id=subscriber_id,
                         subscription_id=subscription_id, ref=ref, created_at=now or utcnow()))
    return token


def plausible(token: str) -> bool:
    """Whether ``token`` could be one of ours at all (worth a look in the table)."""
    return bool(token) and len(token) <= MAX_LENGTH


def find(token: str, purpose: str) -> Token | None:
    """The token's row when ``token`` is one of ours for ``purpose``; a wrong token and an
    unknown one look the same."""
    if not plausible(token):
        return None
    row = db.session.get(Token, digest(token))
    return row if row is not None and row.purpose == purpose else None


def matches(token: str, purpose: str) -> ColumnElement[bool]:
    """A query's condition on ``Token``: its row is ``token``'s, for ``purpose`` (so that a
    page finds what a link is for with one statement, joined to the token's row)."""
    return and_(Token.hash == digest(token), Token.purpose == purpose)
