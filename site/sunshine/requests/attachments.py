"""Attachments after the answer: staff of the handling office add a document the answer
promised (the applicant is told, as of every public step), remove one sent by mistake, or
record whether a file holds personal information.

Each step checks the actor's role and region, changes the public pages and writes the audit
log in one transaction; a file's bytes are written only for a transaction that commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sunshine import pagecache
from sunshine.accounts.models import User
from sunshine.accounts.permissions import check_region
from sunshine.audit import record
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.requests import files
from sunshine.requests.handling import HANDLERS
from sunshine.requests.mail import tell_applicant
from sunshine.requests.models import EventType, InfoRequest, RequestEvent, Status
from sunshine.requests.services import RequestError

ACTION_LABELS = {
    "request_file_added": "添加答复附件", "request_file_removed": "删除答复附件",
    "request_file_confirmed": "核对答复附件",
}


def may_handle(request: InfoRequest, user: User) -> bool:
    return user.role in HANDLERS and _in_region(request, user)


def _in_region(request: InfoRequest, user: User) -> bool:
    try:
        check_region(user, request.office_region_code)
    except PermissionDenied:
        return False
    return True


def _handler(request: InfoRequest, user: User) -> None:
    if not may_handle(request, user):
        raise PermissionDenied(request.office_region_code)


def _changed(request: InfoRequest, actor: User, action: str, detail: str,
             now: datetime) -> None:
    request.updated_at = now
    pagecache.changed("requests", request.office_region_code)
    record(action, actor, "info_request", request.id, request.office_region_code, detail)


def add(request: InfoRequest, actor: User, uploads: Sequence[files.Upload],
        now: datetime | None = None) -> list[str]:
    """Attach documents to an answer already sent; returns the names attached.

    :raise RequestError: the request is not answered with an outcome that sends documents.
    :raise AttachmentError: a file refused (none is kept).
    :raise PersonalDataFound: a file name holds a personal number.
    """
    _handler(request, actor)
    if request.status is not Status.ANSWERED:
        raise RequestError("请在答复时附上文件", "file")
    if not uploads:
        raise RequestError("请选择要上传的文件", "file")
    checked = files.check(request, request.outcome, uploads)
    now = now or utcnow()
    pending = files.add_rows(request, actor.id, checked, now)
    event = RequestEvent(type=EventType.FILES, text=f"答复补充了 {len(checked)} 个文件。",
                         public=True, actor_id=actor.id, at=now)
    request.events.append(event)
    tell_applicant(request, event)
    _changed(request, actor, "request_file_added", "、".join(c.name for c in checked)[:200],
             now)
    files.commit(pending)
    return [c.name for c in checked]


def _file(request: InfoRequest, file_id: int) -> files.RequestFile:
    file = db.session.get(files.RequestFile, file_id)
    if file is None or file.request_id != request.id:
        raise RequestError("没有这个附件")
    return file


def remove(request: InfoRequest, actor: User, file_id: int, now: datetime | None = None) -> str:
    """Take a file off the answer; its bytes go when no other answer has the same file.

    :raise RequestError: no such file of this request.
    """
    _handler(request, actor)
    file = _file(request, file_id)
    name, stored = file.name, file.stored
    db.session.delete(file)
    _changed(request, actor, "request_file_removed", name, now or utcnow())
    db.session.commit()
    files.remove_unreferenced([stored])  # a failure here leaves an unreferenced, unserved file
    return name


def confirm(request: InfoRequest, actor: User, file_id: int, confirmed: bool,
            now: datetime | None = None) -> files.RequestFile:
    """Record that a file holds no personal information (public with a published answer), or
    that it does after all (the applicant's only).

    :raise RequestError: no such file of this request.
    """
    _handler(request, actor)
    file = _file(request, file_id)
    file.confirmed = confirmed
    _changed(request, actor, "request_file_confirmed",
             f"{file.name}：{'不含个人信息，可公开' if confirmed else '仅发送申请人'}",
             now or utcnow())
    db.session.commit()
    return file
