"""Who filed something, sealed apart from what they filed: a small JSON object encrypted with
Fernet (AES-128-CBC + HMAC-SHA256) under the key(s) of ``DATA_ENCRYPTION_KEY``, or a key
derived from ``SECRET_KEY`` when that is unset. Who may open it is each feature's rule; that
every opening is logged, under the province so the handling unit cannot tell, is the rule here.

What the person who filed does afterwards (filing, rating, 补正) is logged with no actor and no
address: their IP address would identify them to whoever reads the log.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from sunshine.audit import AuditEntry, record
from sunshine.extensions import db
from sunshine.tracked.keys import derive

#: What staff are told when no configured key opens an identity.
UNREADABLE = "身份信息无法解密：加密密钥可能已更换。请联系系统管理员。"
#: A contact phone: a mobile number, or a landline with its area code.
PHONE_RE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class IdentityUnreadable(RuntimeError):
    """The stored identity cannot be decrypted with the configured key(s)."""


def _configured_keys(configured: Any) -> list[Fernet]:
    keys = configured if isinstance(configured, list | tuple) else str(configured).split(",")
    return [Fernet(k.strip()) for k in keys if k.strip()]


def check_config(config: Any) -> None:
    """At start-up: a malformed ``DATA_ENCRYPTION_KEY`` stops the site, rather than the first
    named submission failing.

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
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derive(b"reporter identity")))])


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


def fields_of(token: str, fields: Sequence[str]) -> dict[str, str]:
    """The named fields of a sealed identity, as text ("" for one it lacks).

    :raise IdentityUnreadable: a wrong key or a damaged token.
    """
    identity = unseal(token)
    return {k: str(identity.get(k, "")) for k in fields}


def reveal(token: str, fields: Sequence[str], *, actor: object, action: str,
           object_type: str, object_id: object, detail: str) -> dict[str, str]:
    """Open a sealed identity for someone the feature allows, and commit an audit entry of the
    view. The entry is filed under the province, not the handling unit, so that the unit's
    staff cannot even tell that someone looked.

    :raise IdentityUnreadable: a wrong key or a damaged token (nothing is logged then).
    """
    shown = fields_of(token, fields)
    record(action, actor, object_type, object_id, current_app.config["PROVINCE_CODE"], detail)
    db.session.commit()
    return shown


def record_unnamed(action: str, object_type: str, object_id: object, region_code: str,
                   detail: str) -> AuditEntry:
    """An audit entry for a step by the person who filed: no actor and, on purpose, no
    address (added to the caller's transaction)."""
    entry = record(action, None, object_type, object_id, region_code, detail)
    entry.address = ""
    return entry
