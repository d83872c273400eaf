"""The back-office actions every kind of public record shares: save a draft or correct a
published record, publish, withdraw, and the region guard with its audited 403. Each feature
describes its record once (``RecordKind``) and its views call these, so that all behave and
answer alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from sunshine.accounts.models import Role, User
from sunshine.accounts.permissions import can_access_region
from sunshine.audit import deny
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.forms import show_error
from sunshine.guard import PersonalDataFound
from sunshine.records.checks import RecordError
from sunshine.records.forms import ReasonForm
from sunshine.records.models import State
from sunshine.web import render_form_page

#: The form page of every record action (with a link ``back`` to the record's page).
TEMPLATE = "records/form.html"
#: The roles that keep public records in the back office.
WORKERS = (Role.ADMIN, Role.STAFF)


def guard(object_type: str, object_id: object, region_code: str | None) -> None:
    if not can_access_region(current_user, region_code):
        deny(object_type, object_id, region_code)


@dataclass(frozen=True)
class RecordKind:
    name: str  # "fund" or "project": the audit log's object type
    manage_endpoint: str  # e.g. "admin_funds.manage"
    id_arg: str  # e.g. "fund_id"
    create: Callable[[User, Any], Any]  # (user, fields) -> the new draft
    correct: Callable[[User, Any, Any, str], object]  # (user, record, fields, reason)
    update_draft: Callable[[User, Any, Any], object]  # (user, record, fields)
    publish: Callable[[User, Any], object]  # (user, record)
    withdraw: Callable[[User, Any, str], object]  # (user, record, reason)

    def manage_url(self, record: Any) -> str:
        return url_for(self.manage_endpoint, **{self.id_arg: record.id})

    def manage(self, record: Any) -> Response:
        return redirect(self.manage_url(record))


def new(kind: RecordKind, form: Any, fields_from: Callable[[Any], Any],
        title: str) -> Response | tuple[str, int]:
    """A new record, saved as a draft (and published at once if asked)."""
    if request.method == "GET":
        form.region_code.data = current_user.region_code or current_app.config["PROVINCE_CODE"]
        form.year.data = str(today().year)
    if form.validate_on_submit():
        try:
            record = kind.create(current_user, fields_from(form))
            if request.form.get("action") == "publish":
                kind.publish(current_user, record)
        except PermissionDenied:
            deny(kind.name, "new", form.region_code.data)
        except (RecordError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash("已公开" if record.state == State.PUBLISHED.value else "已保存草稿", "success")
            return kind.manage(record)
    return render_form_page(TEMPLATE, form=form, title=title, publishable=True)


def edit(kind: RecordKind, record: Any, form: Any,
         fields_from: Callable[[Any], Any]) -> Response | tuple[str, int]:
    """Change a draft (and publish it when asked), or correct a published record: a new
    version with a reason."""
    published = record.state == State.PUBLISHED.value
    if form.validate_on_submit():
        try:
            if published:
                kind.correct(current_user, record, fields_from(form), form.reason.data or "")
            else:
                kind.update_draft(current_user, record, fields_from(form))
                if request.form.get("action") == "publish":
                    kind.publish(current_user, record)
        except PermissionDenied:
            deny(kind.name, record.id, form.region_code.data)
        except (RecordError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash("已更正，新版本已写入公开记录" if published else "已保存", "success")
            return kind.manage(record)
    return render_form_page(TEMPLATE, form=form, back=kind.manage_url(record),
                            title=("更正：" if published else "修改草稿：") + record.name,
                            publishable=not published, correcting=published)


def publish(kind: RecordKind, record: Any) -> Response:
    try:
        kind.publish(current_user, record)
    except (RecordError, PersonalDataFound) as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("已公开，已写入公开记录", "success")
    return kind.manage(record)


def withdraw(kind: RecordKind, record: Any) -> Response | tuple[str, int]:
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            kind.withdraw(current_user, record, form.reason.data)
        except RecordError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash("已撤回", "success")
            return kind.manage(record)
    return render_form_page(TEMPLATE, form=form, back=kind.manage_url(record),
                            title="撤回：" + record.name)
