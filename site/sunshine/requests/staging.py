"""Files kept for an answer form that came back with an error, so that staff choose again only
the file that was refused (a browser clears every file input of a page it shows again).

A kept file is one that passed its check. Its clean bytes wait in
``UPLOAD_DIR/requests-staged/<user id>-<sha256>.<ext>``, and the form shown again names it in a
hidden field signed for the staff member, their session and the request: nobody can attach a
file another person uploaded, or one from another session, and a name that is not a content
hash never becomes a path. Nothing is attached until the answer is saved, in its transaction,
from these bytes; what that save used is removed after it, and what nobody used is swept by
the clock's sweep once older than ``STAGED_SECONDS``.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from sunshine.accounts.models import User
from sunshine.requests import filetypes
from sunshine.requests.files import Checked
from sunshine.requests.filetypes import AttachmentError

FOLDER = "requests-staged"
#: How long a kept file waits: as long as the form's CSRF token lasts (WTF_CSRF_TIME_LIMIT).
STAGED_SECONDS = 8 * 3600
#: What a signed reference may name: a content hash and the extension of a kind we take.
STORED = re.compile(r"[0-9a-f]{64}\.(?:pdf|jpg|png|csv|xlsx)")
EXPIRED = "先前保留的文件已失效（超过 8 小时或已重新登录），请重新选择"
#: The field named by an error about kept files: no input of the form, so shown above it.
FIELD = "kept"


@dataclass(frozen=True)
class Kept:
    """A kept file as the form lists it: ``ref`` is its signed reference."""

    ref: str
    name: str
    stored: str
    size: int

    @property
    def kind(self) -> str:
        return filetypes.kind(filetypes.CONTENT_TYPES[self.stored.rsplit(".", 1)[1]])

    @property
    def size_label(self) -> str:
        return filetypes.size_label(self.size)


def directory() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / FOLDER


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="request-staged-file")


def _path(user: User, stored: str) -> Path:
    if not STORED.fullmatch(stored):  # signed, so never; but a path is only ever a hash
        raise AttachmentError(EXPIRED, FIELD)
    return directory() / f"{int(user.id)}-{stored}"


def stage(user: User, session_key: str, request_id: int, files: Iterable[Checked]
          ) -> list[Kept]:
    """Keep checked files for the form shown again (each once); returns what it lists."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    kept: list[Kept] = []
    for item in files:
        if any(k.stored == item.stored for k in kept):
            continue
        path = _path(user, item.stored)
        if not path.exists():
            temporary = path.with_suffix(".part")
            temporary.write_bytes(item.data)
            temporary.replace(path)
        else:
            path.touch()  # kept longer: the form that lists it is new
        ref = _signer().dumps([user.get_id(), session_key, request_id, item.stored, item.name])
        kept.append(Kept(ref, item.name, item.stored, len(item.data)))
    return kept


def load(user: User, session_key: str, request_id: int, ref: str, confirmed: bool
         ) -> Checked:
    """A kept file named by a signed reference, to attach or to keep again.

    :raise AttachmentError: a reference not signed for this user, session and request, too
        old, or naming a file no longer kept.
    """
    try:
        who, key, signed_for, stored, name = _signer().loads(ref, max_age=STAGED_SECONDS)
    except (BadData, TypeError, ValueError):
        raise AttachmentError(EXPIRED, FIELD) from None
    if (who, key, signed_for) != (user.get_id(), session_key, request_id) \
            or not isinstance(stored, str) or not isinstance(name, str):
        raise AttachmentError(EXPIRED, FIELD)
    try:
        data = _path(user, stored).read_bytes()
    except OSError:
        raise AttachmentError(EXPIRED, FIELD) from None
    if f"{hashlib.sha256(data).hexdigest()}.{stored.rsplit('.', 1)[1]}" != stored:
        raise AttachmentError(EXPIRED, FIELD)
    return Checked(name, stored, data, confirmed,
                   filetypes.CONTENT_TYPES[stored.rsplit(".", 1)[1]], FIELD)


def discard(user: User, files: Iterable[Checked]) -> None:
    """Remove the user's kept copies of files an answer now holds."""
    for item in files:
        if STORED.fullmatch(item.stored):
            _path(user, item.stored).unlink(missing_ok=True)


def sweep(now: float | None = None) -> int:
    """Remove kept files older than ``STAGED_SECONDS`` (their forms have expired); returns
    how many."""
    folder = directory()
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - STAGED_SECONDS
    removed = 0
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # used or swept meanwhile
            continue
    return removed
