"""ID numbers in the register: a keyed hash (to find duplicates and look a person up, never
to recover the number) and the masked form staff may see."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from flask import current_app


def id_hash_key() -> bytes:
    """The key of the ID number hash: ``ID_HASH_KEY``, else derived from the secret key.

    Set ``SUNSHINE_ID_HASH_KEY`` in production so that changing the secret key (which logs
    everybody out) does not also orphan every stored hash.
    """
    configured = current_app.config.get("ID_HASH_KEY")
    if configured:
        return str(configured).encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.digest(secret, b"sunshine: household member ID numbers", "sha256")


def id_hasher() -> Callable[[str], int]:
    """A function from a (valid, upper-case) ID number to its keyed hash: the first 8 bytes
    of its 16-byte keyed BLAKE2b digest, as a signed 64-bit integer (an integer key is what
    the ``member_id`` table is keyed on; at 5.4 M people two numbers share a hash with odds
    of about one in a million, which would refuse the second with a clear message)."""
    return hasher_from_key(id_hash_key())


def hasher_from_key(key: bytes) -> Callable[[str], int]:
    """``id_hasher`` for a given key (import worker processes have no application)."""
    copy = _keyed(key).copy
    from_bytes = int.from_bytes

    def digest(number: str) -> int:
        h = copy()
        h.update(number.encode("ascii"))
        return from_bytes(h.digest()[:8], "little", signed=True)

    return digest


def hash_all(key: bytes, numbers: list[str]) -> list[int]:
    """``hasher_from_key(key)`` of each number, in one loop (an import hashes millions: a call
    per number was a fifth of the members' checks)."""
    copy = _keyed(key).copy
    digests: list[bytes] = []
    append = digests.append
    for number in numbers:
        h = copy()
        h.update(number.encode("ascii"))
        append(h.digest())
    import numpy as np

    return np.frombuffer(b"".join(digests), dtype="<i8")[::2].tolist()


def _keyed(key: bytes) -> Any:
    """The hash with its key, before any number: both hashers copy it (one definition, so
    that a number hashes the same in a worker's batch and anywhere else)."""
    return hashlib.blake2b(key=key[:64], digest_size=16, person=b"sunshine-id")


def mask_id(number: str) -> str:
    """450102********123X: the region of issue and the last four, as staff lists show them."""
    return number[:6] + "*" * 8 + number[14:]
