"""Tracking codes: 16 symbols of Crockford's base32 (no I, L, O, U), 80 random bits, shown in
groups of four (``K7QF-M2XD-9TRA-3HPW``).

Only a keyed hash of the normalised code is stored (``keys.keyed_hash``): a stolen database
cannot be searched for codes, and a lookup is one indexed equality on the hash, done by the
database, so no comparison in Python can leak how much of a code was right. A wrong code, an
unknown one and junk cost the same: one hash and one query.
"""

from __future__ import annotations

import random
import secrets
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Mapped

from sunshine.extensions import db
from sunshine.tracked.keys import keyed_hash

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 16  # 16 symbols x 5 bits = 80 bits
GROUP = 4
#: What people misread or mistype, mapped the way Crockford's base32 prescribes.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
#: Hashed in place of text that cannot be a code, so that junk takes as long as a real code.
_DUMMY = "0" * CODE_LENGTH


class Tracked(Protocol):
    """A model followed by code: it stores the code's hash, never the code."""

    code_hash: Mapped[str]


T = TypeVar("T", bound=Tracked)


def new_code() -> str:
    """A fresh random tracking code, grouped for reading aloud."""
    return group("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))


def seeded_code(rng: random.Random) -> str:
    """A code from a seeded generator, so that a demo's cases can be followed; never for a
    real submission."""
    return group("".join(rng.choice(ALPHABET) for _ in range(CODE_LENGTH)))


def group(raw: str) -> str:
    return "-".join(raw[i:i + GROUP] for i in range(0, len(raw), GROUP))


def normalise_code(text: str) -> str | None:
    """Upper case, separators and spaces dropped, O/I/L read as 0/1/1; None when it cannot
    be a code (wrong length or symbols), so that junk costs no database query."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    raw = "".join(ch for ch in text.upper() if ch not in " -_\u3000\t").translate(_CONFUSABLE)
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def code_hash(code: str) -> str | None:
    """The stored form of a code (hex HMAC-SHA256), or None for text that is not a code."""
    raw = normalise_code(code)
    if raw is None:
        return None
    return keyed_hash(raw)


def find(model: type[T], code: str) -> T | None:
    """The row of ``model`` with this tracking code, or None. An unknown code, a malformed one
    and a wrong one all give None the same way: one hash and one indexed lookup."""
    digest = code_hash(code)
    if digest is None:
        code_hash(_DUMMY)  # junk takes as long as a real lookup
        digest = "-"
    return db.session.scalar(select(model).where(model.code_hash == digest))
