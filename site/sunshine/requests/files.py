"""The documents an office sends with its answer: checked by content (requests/filetypes.py),
stored by content hash, and public only behind the publish guard.

A file's bytes are stored as ``UPLOAD_DIR/requests/<sha256>.<ext>``: the row names the hash, so
two rows may share one file, and a file written for a transaction that was rolled back is
removed again (any file no row names is never served).

The public may download a file only when the applicant allowed publication of the answer and
staff confirmed that the file holds no personal information; every other file goes to the
applicant alone, through the tracking page. Every file is a download, never shown inline.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Response, current_app, send_from_directory, url_for
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Boolean, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import FileStorage

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db
from sunshine.guard import PersonalDataFound, check_publishable
from sunshine.requests import filetypes
from sunshine.requests.filetypes import AttachmentError
from sunshine.requests.models import InfoRequest, Outcome
from sunshine.requests.services import applicant_identity, hide_applicant

#: The outcomes that send documents.
ATTACHING = frozenset({Outcome.DISCLOSED, Outcome.PARTIAL})
#: File inputs on an answer form (the setting REQUEST_ATTACHMENT_MAX_FILES may allow fewer).
SLOTS = 5
FOLDER = "requests"
#: How long a download link on the tracking page works.
TOKEN_SECONDS = 3600
NAME_HOLDS_NUMBER = "文件名中含有身份证号、手机号或银行卡号：请改名后重新选择"


class RequestFile(db.Model):  # type: ignore[name-defined]
    """A document attached to an answer. ``confirmed``: staff checked it holds no personal
    information, so it may be published with the answer."""

    __tablename__ = "info_request_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("info_request.id"), index=True)
    # The name shown and offered for saving (cleaned); never used for a path.
    name: Mapped[str] = mapped_column(String(100))
    # "<sha256>.<ext>" under UPLOAD_DIR/requests/.
    stored: Mapped[str] = mapped_column(String(80), index=True)
    content_type: Mapped[str] = mapped_column(String(100), default=filetypes.PDF)
    size: Mapped[int] = mapped_column(Integer)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind(self) -> str:
        return filetypes.kind(self.content_type)

    @property
    def size_label(self) -> str:
        return filetypes.size_label(self.size)


@dataclass(frozen=True)
class Upload:
    """One chosen file as the form sent it: its name, its bytes (read up to one byte past the
    limit) and whether staff confirmed it holds no personal information."""

    name: str
    data: bytes
    confirmed: bool = False
    field: str = "file"


@dataclass(frozen=True)
class Checked:
    """A file whose bytes passed their check: its clean name, its stored name
    (``<sha256>.<ext>``) and bytes; ``field`` is the form field it came from."""

    name: str
    stored: str
    data: bytes
    confirmed: bool
    content_type: str = filetypes.PDF
    field: str = "file"


def max_bytes() -> int:
    return filetypes.max_bytes()


def max_files() -> int:
    return int(current_app.config["REQUEST_ATTACHMENT_MAX_FILES"])


def read_upload(file: FileStorage | None, confirmed: bool, field: str) -> Upload | None:
    """The chosen file of one input, or None when none was chosen."""
    if file is None or not file.filename:
        return None
    return Upload(file.filename, file.stream.read(max_bytes() + 1), confirmed, field)


def prepare(upload: Upload) -> Checked:
    """One chosen file checked by its bytes, with a clean name that holds no personal number.

    :raise AttachmentError: the file is not acceptable, or its name holds an ID, phone or
        bank card number (the error names the file's slot).
    """
    clean = filetypes.clean_file(upload.data, upload.name, upload.field)
    name = filetypes.clean_name(upload.name, clean.extension)
    try:
        check_publishable(name)
    except PersonalDataFound:
        raise AttachmentError(NAME_HOLDS_NUMBER, upload.field) from None
    stored = f"{hashlib.sha256(clean.data).hexdigest()}.{clean.extension}"
    return Checked(name, stored, clean.data, upload.confirmed, clean.content_type, upload.field)


def check(request: InfoRequest, outcome: Outcome | None, uploads: Sequence[Upload | Checked]
          ) -> list[Checked]:
    """Every file checked before anything is written, with the applicant's name masked in
    file names. ``uploads`` are files as chosen, or files already checked (kept on a form that
    came back with an error).

    :raise AttachmentError: an outcome that sends no documents, too many files, a file twice,
        or a file that is not acceptable (the error names its slot).
    """
    if not uploads:
        return []
    if outcome not in ATTACHING:
        raise AttachmentError("只有“予以公开”和“部分公开”的答复可以附文件", uploads[0].field)
    present = count_of(request) if request.id else 0
    if present + len(uploads) > max_files():
        raise AttachmentError(f"每件申请的答复最多附 {max_files()} 个文件"
                              + (f"，已经附了 {present} 个" if present else ""),
                              uploads[0].field)
    who = applicant_identity(request)
    seen = set(stored_names(request)) if request.id else set()
    checked = []
    for upload in uploads:
        item = upload if isinstance(upload, Checked) else prepare(upload)
        name = item.name
        if who is not None:
            extension = item.stored.rsplit(".", 1)[-1]
            name = filetypes.clean_name(
                hide_applicant(name, who["name"], who["phone"], who["email"]), extension)
        if item.stored in seen:
            raise AttachmentError(f"“{name}”已经附上了", item.field)
        seen.add(item.stored)
        checked.append(Checked(name, item.stored, item.data, item.confirmed,
                               item.content_type, item.field))
    return checked


def add_rows(request: InfoRequest, actor_id: int | None, checked: Iterable[Checked],
             now: datetime) -> list[Checked]:
    """The rows of checked files, in the caller's transaction; the bytes are written by
    ``commit``. Returns what ``commit`` must write."""
    pending = list(checked)
    for item in pending:
        db.session.add(RequestFile(request_id=request.id, name=item.name, stored=item.stored,
                                   content_type=item.content_type, size=len(item.data),
                                   confirmed=item.confirmed, actor_id=actor_id,
                                   created_at=now))
    return pending


def commit(pending: Iterable[Checked]) -> None:
    """Write the files of new rows, then commit; when the commit fails, roll back and remove
    the files this call wrote (a file already on disk may be another row's)."""
    written = write(pending)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        remove(written)
        raise


# --- the folder ------------------------------------------------------------------------------


def directory() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / FOLDER


def write(pending: Iterable[Checked]) -> list[str]:
    """Write each file not yet on disk; returns the names written (removed again on error)."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    try:
        for item in pending:
            path = folder / item.stored
            if path.exists():  # named by content: the same bytes are there already
                path.touch()  # young again: ``prune`` spares it until this commit names it
                continue
            written.append(item.stored)
            temporary = path.with_suffix(".part")
            temporary.write_bytes(item.data)
            temporary.replace(path)
    except BaseException:
        remove(written)
        raise
    return written


def remove(names: Iterable[str]) -> None:
    folder = directory()
    for name in names:
        (folder / Path(name).name).unlink(missing_ok=True)


def remove_unreferenced(names: Iterable[str]) -> None:
    """Remove stored files that no row names any longer (after a row was deleted)."""
    names = set(names)
    if not names:
        return
    still = set(db.session.scalars(select(RequestFile.stored).where(
        RequestFile.stored.in_(names))))
    remove(names - still)


def prune(older_than: float = 3600, now: float | None = None) -> int:
    """Remove files no row names (left by a crash between writing and committing, or by a
    removal that could not delete), once older than ``older_than`` seconds: a younger one may
    belong to a transaction still on its way to commit. Returns how many were removed."""
    folder = directory()
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - older_than
    named = set(db.session.scalars(select(RequestFile.stored).distinct()))
    stale = [p for p in folder.iterdir()
             if p.is_file() and p.name not in named and p.stat().st_mtime < cutoff]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def send(file: RequestFile, *, public: bool) -> Response:
    """The file as a download: never shown inline, never sniffed as anything else, and run in
    a sandbox by a browser that opens it anyway."""
    response = send_from_directory(directory(), Path(file.stored).name,
                                   mimetype=file.content_type, as_attachment=True,
                                   download_name=file.name, max_age=0, etag=True)
    if public:
        response.cache_control.no_cache = True
    else:
        response.cache_control.private = True
        response.cache_control.no_store = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


# --- reading ---------------------------------------------------------------------------------


def files_of(request: InfoRequest) -> list[RequestFile]:
    """Every file of the request, for staff and the applicant."""
    return list(db.session.scalars(select(RequestFile).where(
        RequestFile.request_id == request.id).order_by(RequestFile.id)))


def published(request: InfoRequest) -> bool:
    """Whether the request's answer is public: answered, not held, and the applicant agreed."""
    return bool(request.consent_to_publish and request.answered_at and not request.held)


def public_files(request: InfoRequest) -> list[RequestFile]:
    """The files anyone may download: behind the publish guard."""
    if not published(request):
        return []
    return [f for f in files_of(request) if f.confirmed]


def public_file(request_id: int, file_id: int) -> RequestFile | None:
    """One public file in one query, or None (unknown, unconfirmed or unpublished)."""
    return db.session.scalar(select(RequestFile).join(
        InfoRequest, InfoRequest.id == RequestFile.request_id).where(
        RequestFile.id == file_id, RequestFile.request_id == request_id,
        RequestFile.confirmed.is_(True), InfoRequest.consent_to_publish.is_(True),
        InfoRequest.answered_at.is_not(None), InfoRequest.held.is_(False)))


def count_of(request: InfoRequest) -> int:
    return int(db.session.scalar(select(func.count(RequestFile.id)).where(
        RequestFile.request_id == request.id)) or 0)


def stored_names(request: InfoRequest) -> list[str]:
    return list(db.session.scalars(select(RequestFile.stored).where(
        RequestFile.request_id == request.id)))


# --- links -----------------------------------------------------------------------------------


def signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="request-file")


def applicant_links(request: InfoRequest) -> list[tuple[RequestFile, str]]:
    """Every file of the answer with a download link for the applicant, who has just given the
    tracking code: a signed token naming the request and the file, working for an hour, never
    the code itself."""
    return [(f, url_for("requests.track_file", token=signer().dumps([f.request_id, f.id])))
            for f in files_of(request)]


def public_links(request: InfoRequest) -> list[tuple[RequestFile, str]]:
    """The public files with their addresses (the cleaned name ends each one)."""
    return [(f, public_url(f)) for f in public_files(request)]


def public_url(file: RequestFile, external: bool = False) -> str:
    return url_for("requests.file", request_id=file.request_id, file_id=file.id,
                   name=file.name, _external=external)
