"""The features speak through notify in their own transactions: a village's follower hears of
its new funds and projects and of a followed project's progress; a donor of the delivery,
receipt and thanks of their pledge; a need's follower of its history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from sunshine.accounts.models import User
from sunshine.extensions import db
from sunshine.matching import delivery, needs, pledges
from sunshine.matching.models import PledgeState
from sunshine.matching.pledges import PledgeDetails
from sunshine.notify import sender, staff, subscriptions
from sunshine.notify.models import Message, Mode
from tests.funds.conftest import make_fund, make_project
from tests.matching.conftest import make_need, users  # noqa: F401  (a fixture)
from tests.notify.conftest import Mailbox, text_of

pytestmark = pytest.mark.postgres


def follow(topic: str, key: str, address: str = "villager@example.cn") -> None:
    subscriptions.subscribe_confirmed(address, subscriptions.resolve(topic, key), Mode.IMMEDIATE)
    db.session.commit()


def delivered(mailbox: Mailbox, now: datetime | None = None) -> list:
    mailbox.messages.clear()
    sender.deliver_due(now=now)
    return list(mailbox.messages)


def test_a_county_follower_hears_of_new_funds_and_projects_and_a_projects_progress(
        app: Flask, regions: dict[str, str], mailbox: Mailbox) -> None:
    follow("region", regions["county"])  # the fund is the county's, the project a village's
    fund = make_fund()
    project = make_project()
    subjects = sorted(m["Subject"] for m in delivered(mailbox))
    assert subjects == sorted([f"资金下达公开：{fund.name}", f"新项目公开：{project.name}"])

    from datetime import date

    from sunshine.projects import services as projects

    follow("project", str(project.id), "watcher@example.cn")
    projects.add_update(None, project, date.today(), "路基完成一半")
    [mail] = delivered(mailbox)  # the project's follower; the county's follows new things only
    assert mail["To"] == "watcher@example.cn" and mail["Subject"] == f"项目进展：{project.name}"
    assert f"https://sunshine.example.cn/projects/{project.id}" in text_of(mail)


def test_a_donor_is_told_of_delivery_receipt_and_thanks_and_a_follower_of_each_step(
        app: Flask, users: dict[str, User], mailbox: Mailbox) -> None:  # noqa: F811
    need = make_need(users)
    follow("need", str(need.id), "neighbour@example.cn")
    mine = pledges.pledge(users["donor"], need.id, need.items[0].id, 9, PledgeDetails())
    # donor2 has no e-mail address: nothing is queued for them
    pledges.pledge(users["donor2"], need.id, need.items[0].id, 1, PledgeDetails())
    first = delivered(mailbox)
    assert {m["To"] for m in first} == {"neighbour@example.cn"}  # pledges: news, not the donor's

    delivery.start_delivery(users["town"], mine)
    code = delivery.record_delivery(users["town"], db.session.get(type(mine), mine.id))
    delivery.confirm_with_code(code)
    to_donor = [m for m in delivered(mailbox) if m["To"] == "donor-a@example.cn"]
    assert len(to_donor) == 3
    assert all(m["Subject"] == f"您认领的爱心帮扶有新进展：{need.title}" for m in to_donor)
    bodies = "".join(text_of(m) for m in to_donor)
    assert "开始配送" in bodies and "已送达" in bodies and "受助户已收到" in bodies
    assert code not in bodies

    other = db.session.scalars(select(type(mine)).where(type(mine).id != mine.id)).one()
    delivery.record_delivery(users["town"], other)
    delivery.countersign(users["county"], db.session.get(type(mine), other.id))
    assert db.session.get(type(mine), other.id).state == PledgeState.CONFIRMED.value
    mailbox.messages.clear()
    needs.thank(users["town"], db.session.get(type(need), need.id), "谢谢好心人")
    thanks = [m for m in delivered(mailbox) if m["To"] == "donor-a@example.cn"]
    assert len(thanks) == 1 and "受助户致谢" in text_of(thanks[0])


def test_staff_get_one_digest_a_day_of_what_waits_and_never_a_followers_address(
        app: Flask, users: dict[str, User], mailbox: Mailbox) -> None:  # noqa: F811
    from sunshine.complaints import services as complaints
    from sunshine.complaints.models import Kind

    follow("region", users["county"].region_code or "", "secret-follower@example.cn")
    users["county"].email = "county-staff@example.cn"
    db.session.commit()
    complaints.submit_case(complaints.Submission(
        kind=Kind.COMPLAINT, category=complaints.CATEGORIES[0],
        region_code=users["county"].region_code or "", subject="补助没有发", body="情况说明"))
    morning = datetime(2030, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in China
    assert staff.queue_staff_digests(morning.replace(hour=23, day=1)) == 0  # 07:00: too early
    assert staff.queue_staff_digests(morning) == 1
    assert staff.queue_staff_digests(morning) == 0  # once a day
    db.session.commit()
    [mail] = [m for m in delivered(mailbox, morning) if m["To"] == "county-staff@example.cn"]
    body = text_of(mail)
    assert "待受理的投诉举报：1" in body and "https://sunshine.example.cn/admin/" in body
    assert "辖区内区划" not in body and "邮件关注本地区的人数" not in body  # facts, not work
    assert "secret-follower" not in body

    page = app.test_client()
    page.post("/login", data={"login": "staff-county", "password": "correct-horse-battery-9"})
    dashboard = page.get("/admin/")
    assert "邮件关注本地区的人数" in dashboard.text
    assert "secret-follower" not in dashboard.text
    assert db.session.scalar(select(Message).where(Message.kind == "staff_digest")) is not None
