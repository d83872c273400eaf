"""Tracking codes and the encryption of reporter identities.

Tracking codes: 16 symbols of Crockford's base32 (no I, L, O, U), 80 random bits, shown in
groups of four (``K7QF-M2XD-9TRA-3HPW``). Only an HMAC-SHA256 of the normalised code, keyed with
a pepper, is stored: a stolen database cannot be searched for codes, and a lookup is one indexed
equality on the hash, so no comparison leaks how much of a code was right.

Identities: Fernet (AES-128-CBC + HMAC-SHA256) with the key(s) from ``DATA_ENCRYPTION_KEY``, or a
key derived from ``SECRET_KEY`` with HKDF-SHA256 when that is unset. See docs/decisions.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 16  # 16 symbols x 5 bits = 80 bits
GROUP = 4
#: What people misread or mistype, mapped the way Crockford's base32 prescribes.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


class IdentityUnreadable(RuntimeError):
    """The stored identity cannot be decrypted with the configured key(s)."""


def new_code() -> str:
    """A fresh random tracking code, grouped for reading aloud."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return group(raw)


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


def _derive(info: bytes) -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sunshine-complaints-v1",
                info=info).derive(secret)


def _pepper() -> bytes:
    configured = current_app.config.get("TRACKING_CODE_PEPPER")
    if configured:
        return str(configured).encode()
    return _derive(b"tracking code pepper")


def code_hash(code: str) -> str | None:
    """The stored form of a code (hex HMAC-SHA256), or None for text that is not a code."""
    raw = normalise_code(code)
    if raw is None:
        return None
    return hmac.new(_pepper(), raw.encode(), hashlib.sha256).hexdigest()


def _configured_keys(configured: Any) -> list[Fernet]:
    keys = configured if isinstance(configured, list | tuple) else str(configured).split(",")
    return [Fernet(k.strip()) for k in keys if k.strip()]


def check_config(config: Any) -> None:
    """At start-up: a malformed ``DATA_ENCRYPTION_KEY`` stops the site, rather than the first
    named report failing.

    :raise ConfigError: not a list of Fernet keys (32 bytes, URL-safe base64).
    """
    from sunshine.config import ConfigError

    configured = config.get("DATA_ENCRYPTION_KEY")
    if not configured:
        return
    try:
        if not _configured_keys(configured):
            raise ValueError
    except (ValueError, TypeError):
        raise ConfigError("DATA_ENCRYPTION_KEY 应为 Fernet 密钥（32 字节的 URL 安全 base64），"
                          "多个用逗号分隔。") from None


def _fernet() -> MultiFernet:
    configured = current_app.config.get("DATA_ENCRYPTION_KEY")
    if configured:
        return MultiFernet(_configured_keys(configured))
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(b"reporter identity")))])


def seal(data: dict[str, Any]) -> str:
    """Encrypt a small JSON object; the token is ASCII text."""
    plain = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return _fernet().encrypt(plain).decode("ascii")


def reseal(token: str) -> str:
    """The token encrypted again with the newest key (the first of ``DATA_ENCRYPTION_KEY``).

    :raise IdentityUnreadable: none of the keys opens it.
    """
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        raise IdentityUnreadable from exc


def unseal(token: str) -> dict[str, Any]:
    """:raise IdentityUnreadable: a wrong key or a damaged token."""
    try:
        value = json.loads(_fernet().decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError) as exc:
        raise IdentityUnreadable from exc
    if not isinstance(value, dict):
        raise IdentityUnreadable
    return value


def keyed_hash(text: str) -> str:
    """A peppered HMAC-SHA256 of ``text``: tells equal values apart from different ones
    without storing them (e.g. whether two requests came from one applicant)."""
    return hmac.new(_pepper(), text.encode(), hashlib.sha256).hexdigest()
