"""Back office of the working-day calendar: /admin/calendar/. Every staff member may read it
(their deadlines are counted with it); province administrators keep it."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from sunshine import clock
from sunshine.accounts.models import Role
from sunshine.accounts.permissions import staff_required
from sunshine.extensions import db
from sunshine.forms import show_error
from sunshine.registry import Section
from sunshine.web import int_arg, render_form_page
from sunshine.workdays import services
from sunshine.workdays.forms import DayForm

bp = Blueprint("admin_calendar", __name__, url_prefix="/admin/calendar")
SECTION = Section("工作日历", "admin_calendar.index")
#: Labels of this feature's audit-log actions, registered by its ``init_app``.
ACTION_LABELS = {"calendar_day_saved": "登记节假日", "calendar_day_removed": "删除节假日"}


def _page(year: int, form: DayForm) -> tuple[str, int]:
    years = sorted({*services.years_entered(), clock.this_year(), clock.this_year() + 1, year})
    return render_form_page("workdays/admin.html", year=year, years=years,
                            days=services.days_of(year), form=form,
                            can_edit=current_user.role is Role.ADMIN)


@bp.get("/")
@staff_required()
def index() -> tuple[str, int]:
    """The calendar of one year (default: this year)."""
    year = int_arg("year", clock.this_year(), services.FIRST_YEAR, services.LAST_YEAR)
    return _page(year, DayForm(formdata=None))


@bp.post("/")
@staff_required(Role.ADMIN)
def save() -> Response | tuple[str, int]:
    """Add a day, or change the kind or name of one already there."""
    form = DayForm()
    if form.validate_on_submit():
        try:
            entry = services.save_day(current_user, form.day.data, form.kind.data == "workday",
                                      form.name.data)
        except services.CalendarError as exc:
            db.session.rollback()
            show_error(form, exc, "day")
        else:
            db.session.commit()
            flash(f"已登记 {entry.day.isoformat()} {entry.kind_label}（{entry.name}）", "success")
            return redirect(url_for("admin_calendar.index", year=entry.day.year))
    return _page(form.day.data.year if form.day.data else clock.this_year(), form)


@bp.post("/<day>/remove")
@staff_required(Role.ADMIN)
def remove(day: str) -> Response:
    """Take a day off the calendar: it counts by its weekday again. (Every POST carries its
    CSRF token: the site's CSRF protection checks it before any view.)"""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not services.remove_day(current_user, when):
        abort(404)
    db.session.commit()
    flash(f"已删除 {when.isoformat()}，这一天重新按星期计算", "success")
    return redirect(url_for("admin_calendar.index", year=when.year))
