"""The secrets behind tracking codes and sealed identities: configured, or derived from
``SECRET_KEY`` with HKDF-SHA256.

The derivation's salt keeps the name it was first given: changing it would change every stored
code hash and lock every identity sealed with a derived key.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

SALT = b"sunshine-complaints-v1"


def derive(info: bytes) -> bytes:
    """32 bytes for one purpose (``info``), derived from ``SECRET_KEY``."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=info).derive(secret)


def pepper() -> bytes:
    """The key of every keyed hash: ``TRACKING_CODE_PEPPER``, else derived."""
    configured = current_app.config.get("TRACKING_CODE_PEPPER")
    if configured:
        return str(configured).encode()
    return derive(b"tracking code pepper")


def keyed_hash(text: str) -> str:
    """A peppered HMAC-SHA256 of ``text`` (hex): tells equal values apart from different ones
    without storing them (a tracking code, whether two requests came from one applicant)."""
    return hmac.new(pepper(), text.encode(), hashlib.sha256).hexdigest()
