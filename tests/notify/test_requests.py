"""An applicant for disclosure who left an e-mail address is told of each public step of their
request (extension, 补正, consultation, answer, overdue) through the outbox, over real SMTP: in
the words of the tracking page's history, never the tracking code, the question or their name."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import func, select

from sunshine.accounts.models import Role, User
from sunshine.extensions import db
from sunshine.notify import sender
from sunshine.notify.models import Message
from sunshine.requests import handling, services, sweep
from sunshine.requests.models import Outcome
from tests.factories import make_user
from tests.notify.conftest import Mailbox, text_of
from tests.requests.conftest import EMAIL, NAME, PHONE, china, file, filing

pytestmark = pytest.mark.postgres

SUBJECT = "某村 2024 年衔接资金的使用明细"


@pytest.fixture
def staff(regions: dict[str, str]) -> User:
    return make_user("staff-county", Role.STAFF, regions["county"])


def delivered(mailbox: Mailbox) -> list[EmailMessage]:
    mailbox.messages.clear()
    sender.deliver_due(now=china(12, 31, year=2027))
    return list(mailbox.messages)


def whole(mail: EmailMessage) -> str:
    return str(mail["Subject"]) + text_of(mail) + text_of(mail, "html")


def queued() -> int:
    return db.session.scalar(select(func.count()).select_from(Message)) or 0


def test_the_applicant_is_told_of_each_step_and_never_given_the_code(
        app: Flask, regions: dict[str, str], staff: User, mailbox: Mailbox) -> None:
    info, code = file()
    assert queued() == 0  # filing: the answer page shows the code, no mail repeats it
    handling.ask_amend(info, staff, "请说明是哪一个村", now=china(11, 3))
    services.amend(info, "是东村。", now=china(11, 4))  # the applicant's own step
    handling.extend(info, staff, 10, "需要调取多个部门的档案", now=china(11, 10))
    handling.add_note(info, staff, "已电话联系申请人")  # internal: nobody is told
    handling.answer(info, staff, handling.Answer(
        Outcome.DISCLOSED, "open", "支出明细见附件。"), now=china(11, 20))
    told = delivered(mailbox)
    assert [m["To"] for m in told] == [EMAIL] * 3
    assert [m["Subject"] for m in told] == ["您的政府信息公开申请：需要您补正申请",
                                           "您的政府信息公开申请：答复期限延长",
                                           "您的政府信息公开申请：已答复"]
    history = [e.text for e in services.public_history(info)]
    for mail, step in zip(told, [history[1], history[3], history[4]], strict=True):
        assert step in text_of(mail)  # what the tracking page's history says of the step
        assert "2026-11-02" in text_of(mail) and info.office.name in text_of(mail)
        assert "/requests/track" in text_of(mail)
    assert "需要调取多个部门的档案" in text_of(told[1])
    for mail in told:
        body = whole(mail)
        for secret in (code, code.replace("-", ""), NAME, PHONE, SUBJECT, "是东村",
                       "已电话联系申请人"):
            assert secret not in body, secret


def test_an_overdue_request_is_told_once(app: Flask, regions: dict[str, str],
                                         mailbox: Mailbox) -> None:
    info, _ = file()
    late = china(11, 2) + timedelta(days=60)
    assert sweep.mark_overdue(late) == 1
    assert sweep.mark_overdue(late) == 0
    [mail] = delivered(mailbox)
    assert mail["Subject"] == "您的政府信息公开申请：已超过答复期限"
    assert "已超过答复期限，正在督办。" in text_of(mail)


def test_no_address_or_a_refused_step_sends_nothing(app: Flask, regions: dict[str, str],
                                                   staff: User) -> None:
    by_phone, _ = services.file_request(filing(email=""), now=china(11, 2))
    handling.extend(by_phone, staff, 5, "理由", now=china(11, 3))
    assert queued() == 0
    info, _ = file()
    with pytest.raises(services.RequestError):
        handling.extend(info, staff, 99, "理由", now=china(11, 3))
    db.session.rollback()
    assert queued() == 0
    handling.start_consult(info, staff, "涉及的合作社", now=china(11, 3))
    assert queued() == 1  # committed with the step
    assert db.session.scalars(select(Message)).one().kind == "request"
