"""A reporter follows their case from its tracking page: told of each step and of the reply
(never the code or what they wrote), asked some days after the answer whether it was
resolved; "没有解决" reopens the case with the answer attached, and the answers count in the
handling statistics."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine.accounts.models import Role
from sunshine.complaints import followup, handling, services, stats
from sunshine.complaints.models import Case, EventType, Kind, Status
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.notify import sender
from sunshine.regions.models import Region
from tests.factories import make_user
from tests.notify.conftest import Mailbox, links, text_of

pytestmark = pytest.mark.postgres

SUBJECT = "低保名单里有村干部亲属"
BODY = "王某家条件很好却被评上了"


def delivered(mailbox: Mailbox, now=None) -> list:  # noqa: ANN001
    mailbox.messages.clear()
    sender.deliver_due(now=now)
    return list(mailbox.messages)


def test_a_reporter_follows_their_case_is_told_and_asked_and_can_reopen_it(
        app: Flask, regions: dict[str, str], client: FlaskClient, mailbox: Mailbox) -> None:
    staff = make_user("staff-county", Role.STAFF, regions["county"])
    case, code = services.submit_case(services.Submission(
        kind=Kind.COMPLAINT, category=services.CATEGORIES[0], region_code=regions["county"],
        subject=SUBJECT, body=BODY))
    page = client.post("/complaints/track", data={"code": code})
    assert "关注办理进展的动态" in page.text
    key = re.search(r'name="topic" value="complaint">\s*<input type="hidden" name="key" '
                    r'value="([^"]+)"', page.text)
    assert key is not None and key.group(1) != str(case.id)
    client.post("/notify/follow", data={"email": "reporter@example.cn", "topic": "complaint",
                                        "key": key.group(1), "mode": "immediate"})
    [confirm] = delivered(mailbox)
    client.post(links(confirm)["confirm"])

    handling.accept(case, staff)
    handling.reply(case, staff, "经核查，王某家已从名单中移除。")
    told = delivered(mailbox)
    assert [m["Subject"] for m in told] == ["您反映的问题有新进展：已受理",
                                           "您反映的问题有新进展：已答复"]
    assert "经核查，王某家已从名单中移除。" in text_of(told[1])
    for mail in [confirm, *told]:
        body = text_of(mail) + text_of(mail, "html") + str(mail["Subject"])
        assert code not in body and SUBJECT not in body and BODY not in body

    replied = case.replied_at
    assert replied is not None
    assert followup.queue_followups(replied + timedelta(days=13)) == 0
    assert followup.queue_followups(replied + timedelta(days=14)) == 1
    db.session.commit()
    assert followup.queue_followups(replied + timedelta(days=15)) == 0  # asked once
    [question] = delivered(mailbox, replied + timedelta(days=14))
    assert question["Subject"] == "回访：您反映的问题解决了吗？"
    answers = re.findall(r"https://sunshine\.example\.cn(/complaints/followup/[A-Za-z0-9_-]+)"
                         r"\?answer=([a-z]+)", text_of(question))
    assert [a for _, a in answers] == ["resolved", "partly", "unresolved"]
    path = answers[2][0]

    shown = client.get(path + "?answer=unresolved")  # opening the link answers nothing
    assert shown.status_code == 200 and "没有解决" in shown.text
    db.session.refresh(case)
    assert case.status is Status.REPLIED
    answered = client.post(path, data={"answer": "unresolved"})
    assert answered.status_code == 200 and "已收到您的回答" in answered.text
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status is Status.IN_PROGRESS and case.deadline > utcnow()
    reopen = [e for e in case.events if e.type is EventType.REOPEN][-1]
    assert "没有解决" in reopen.text and "王某家已从名单中移除" in reopen.text
    again = client.post(path, data={"answer": "resolved"})
    assert "没有解决" in again.text  # one answer per case
    assert client.get("/complaints/followup/wrong-token").status_code == 404

    region = db.session.get(Region, regions["county"])
    assert region is not None
    report = stats.build_report(region, case.submitted_at.year, k=1)
    assert report.by_month_kind.total_metrics["resolved_rate"].value == 0.0
    assert "群众认为已解决" in client.get(f"/complaints/stats?region={regions['county']}").text
