"""The answer's documents on the web: public downloads behind the publish guard, the
applicant's downloads through the tracking page, and the back office's add, remove and check.

A file's URL names it by id; the name at its end is the stored, cleaned one and must match, so
each file has one address. The applicant's link carries a signed token that names the request
and the file and lasts an hour: it is made only for a visitor who has just given the tracking
code, and never holds the code itself.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, url_for
from flask_login import current_user
from itsdangerous import BadSignature
from werkzeug.wrappers import Response as Redirect

from sunshine.accounts.permissions import staff_required
from sunshine.extensions import db
from sunshine.guard import PersonalDataFound
from sunshine.pagecache.versions import plain_rows
from sunshine.requests import admin, attachments, files
from sunshine.requests.forms import ActionForm, AttachForm
from sunshine.requests.services import RequestError
from sunshine.requests.views import bp
from sunshine.tracked.pages import refuse_spent_guesses, wrong_link


@bp.get("/<int:request_id>/files/<int:file_id>/<name>")
def file(request_id: int, file_id: int, name: str) -> Response:
    """A document of a published answer that staff checked for personal information."""
    found = files.public_file(request_id, file_id)
    if found is None or found.name != name:
        abort(404)
    return files.send(found, public=True)


#: What the applicant's download needs of a file's row.
_APPLICANT_FILE = ("SELECT name, stored, content_type FROM info_request_file"
                   " WHERE id = ? AND request_id = ?")


@bp.get("/track/files/<token>")
def track_file(token: str) -> Response:
    """A document of the answer, for the applicant (a link from the tracking page). The link's
    signature and age are checked on every request, and the file's row is read each time
    with one plain statement (a file taken off the answer is gone at once); never kept. A
    wrong link counts against the address's allowance of wrong links."""
    refuse_spent_guesses()
    try:
        request_id, file_id = files.signer().loads(token, max_age=files.TOKEN_SECONDS)
        rows = plain_rows(_APPLICANT_FILE, (int(file_id), int(request_id)))
    except (BadSignature, TypeError, ValueError):
        rows = ()
    if not rows:
        wrong_link()
        abort(404)
    name, stored, content_type = rows[0]
    # Only what sending needs; never added to the session.
    return files.send(files.RequestFile(name=name, stored=stored, content_type=content_type),
                      public=False)


# --- back office -----------------------------------------------------------------------------


@admin.bp.get("/<int:request_id>/files/<int:file_id>")
@staff_required(*admin.READERS)
def admin_file(request_id: int, file_id: int) -> Response:
    """Any document of a request the user may read."""
    admin._request(request_id)
    found = db.session.get(files.RequestFile, file_id)
    if found is None or found.request_id != request_id:
        abort(404)
    return files.send(found, public=False)


@admin.bp.post("/<int:request_id>/files")
@staff_required(*admin.READERS)
def add_file(request_id: int) -> Redirect | tuple[str, int]:
    """One more document for an answer already sent."""
    info = admin._request(request_id)
    form = AttachForm(prefix="attach")
    if not form.validate():
        return admin._detail(info, 400, attach_form=form)
    upload = files.read_upload(form.file.data, bool(form.clean.data), "file")
    try:
        names = attachments.add(info, current_user, [upload] if upload else [])
    except (RequestError, PersonalDataFound) as exc:
        db.session.rollback()
        form.file.errors = [exc.message]
        return admin._detail(info, 400, attach_form=form)
    flash(f"已添加附件：{'、'.join(names)}", "success")
    return redirect(url_for("admin_requests.detail", request_id=info.id))


def _file_step(request_id: int, file_id: int, step: str) -> Redirect | tuple[str, int]:
    info = admin._request(request_id)
    form = ActionForm()
    if not form.validate():
        return admin._detail(info, 400)
    try:
        if step == "remove":
            flash(f"已删除附件：{attachments.remove(info, current_user, file_id)}", "success")
        else:
            shown = attachments.confirm(info, current_user, file_id, step == "confirm")
            flash(f"“{shown.name}”" + ("将随答复公开" if shown.confirmed else "只发给申请人"),
                  "success")
    except RequestError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return admin._detail(info, 400)
    return redirect(url_for("admin_requests.detail", request_id=info.id))


@admin.bp.post("/<int:request_id>/files/<int:file_id>/remove")
@staff_required(*admin.READERS)
def remove_file(request_id: int, file_id: int) -> Redirect | tuple[str, int]:
    """Take a document off the answer."""
    return _file_step(request_id, file_id, "remove")


@admin.bp.post("/<int:request_id>/files/<int:file_id>/confirm")
@staff_required(*admin.READERS)
def confirm_file(request_id: int, file_id: int) -> Redirect | tuple[str, int]:
    """Staff checked the document: no personal information, publish it with the answer."""
    return _file_step(request_id, file_id, "confirm")


@admin.bp.post("/<int:request_id>/files/<int:file_id>/private")
@staff_required(*admin.READERS)
def private_file(request_id: int, file_id: int) -> Redirect | tuple[str, int]:
    """The document holds personal information after all: for the applicant only."""
    return _file_step(request_id, file_id, "private")
