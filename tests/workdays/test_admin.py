"""The back office of the working-day calendar: every staff member reads it, province
administrators keep it, and bad input answers 400 in Chinese with nothing saved."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from sunshine.accounts.models import Role
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.workdays.models import CalendarDay
from tests.factories import make_user

URL = "/admin/calendar/"


@pytest.fixture
def as_admin(app, regions, client, login):  # type: ignore[no-untyped-def]
    make_user("root-admin", Role.ADMIN, None)
    assert login("root-admin").status_code == 302
    return client


def _days() -> list[tuple[date, bool, str]]:
    return [tuple(row) for row in db.session.execute(  # type: ignore[misc]
        select(CalendarDay.day, CalendarDay.working, CalendarDay.name).order_by(CalendarDay.day))]


def test_an_admin_adds_changes_and_removes_days(as_admin) -> None:
    empty = as_admin.get(URL + "?year=2027")
    assert empty.status_code == 200
    assert "2027 年还没有登记节假日" in empty.get_data(as_text=True)
    saved = as_admin.post(URL, data={"day": "2027-02-08", "kind": "holiday", "name": "春节"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("?year=2027")
    as_admin.post(URL, data={"day": "2027-02-20", "kind": "workday", "name": "春节调休"})
    assert _days() == [(date(2027, 2, 8), False, "春节"), (date(2027, 2, 20), True, "春节调休")]
    page = as_admin.get(URL + "?year=2027").get_data(as_text=True)
    assert "放假 1 天，调休上班 1 天" in page and "2027-02-20" in page and "六" in page
    removed = as_admin.post(URL + "2027-02-08/remove")
    assert removed.status_code == 302
    assert _days() == [(date(2027, 2, 20), True, "春节调休")]
    assert as_admin.post(URL + "2027-02-08/remove").status_code == 404
    assert as_admin.post(URL + "not-a-day/remove").status_code == 404
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "calendar_day").order_by(AuditEntry.id)).all()
    assert actions == ["calendar_day_saved", "calendar_day_saved", "calendar_day_removed"]
    assert "登记节假日" in as_admin.get("/admin/audit/").get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"day": "2027-02-30", "kind": "holiday", "name": "春节"}, "请填写日期（例如"),
    ({"day": "", "kind": "holiday", "name": "春节"}, "请填写日期"),
    ({"day": "2027-02-10", "kind": "workday", "name": "春节调休"}, "周一至周五本来就是工作日"),
    ({"day": "2027-02-10", "kind": "holiday", "name": ""}, "请填写节日名称"),
    ({"day": "2027-02-10", "kind": "both", "name": "春节"}, "不是有效的选择"),
    ({"day": "2027-02-10", "kind": "holiday", "name": "长" * 41}, "不能超过 40 个字符"),
    ({"day": "1999-02-10", "kind": "holiday", "name": "春节"}, "年份应在"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(as_admin, data, message) -> None:
    response = as_admin.post(URL, data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _days() == []


def test_staff_read_the_calendar_and_only_admins_change_it(app, regions, client, login) -> None:
    make_user("county-staff", Role.STAFF, regions["county"])
    assert login("county-staff").status_code == 302
    page = client.get(URL)
    assert page.status_code == 200 and "登记一天" not in page.get_data(as_text=True)
    assert client.post(URL, data={"day": "2027-02-08", "kind": "holiday",
                                  "name": "春节"}).status_code == 403
    assert client.post(URL + "2027-02-08/remove").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0
    assert client.get(URL + "?year=abc").status_code == 200
