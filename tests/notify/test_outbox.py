"""The outbox against a real SMTP server: delivery, retries with backoff, bounces, the daily
cap, and a message queued in a transaction that rolls back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from sunshine.clock import day_start
from sunshine.extensions import db
from sunshine.notify import outbox, sender
from sunshine.notify.models import Bounce, Message, State
from tests.notify.conftest import Mailbox, text_of

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in China


def queue(to: str = "villager@example.cn", subject: str = "村里有新的公示") -> Message:
    message = outbox.tell(to, subject, ["兴宁区某村发布了新的公示。", "<b>不是标签</b>"],
                          "/notices/7", now=NOW)
    db.session.commit()
    return message


def test_a_queued_message_arrives_in_chinese_with_a_text_and_an_html_part(
        app: Flask, mailbox: Mailbox) -> None:
    message = queue()
    result = sender.deliver_due(now=NOW)
    assert result.sent == 1
    [mail] = mailbox.messages
    assert mail["Subject"] == "村里有新的公示"
    assert mail["To"] == "villager@example.cn"
    assert mail["Message-ID"] == message.message_id
    assert message.message_id.endswith("@sunshine.example.cn>")
    text, html = text_of(mail), text_of(mail, "html")
    assert "兴宁区某村发布了新的公示。" in text and "https://sunshine.example.cn/notices/7" in text
    assert 'href="https://sunshine.example.cn/notices/7"' in html
    assert "&lt;b&gt;不是标签&lt;/b&gt;" in html and "<b>" not in html
    assert 'lang="zh-CN"' in html
    assert "List-Unsubscribe" not in mail  # not a subscription: nothing to end
    db.session.refresh(message)
    assert message.state is State.SENT and message.sent_at == NOW and message.attempts == 1
    assert sender.deliver_due(now=NOW).sent == 0  # nothing twice


def test_nothing_is_sent_when_the_event_rolls_back(app: Flask, mailbox: Mailbox) -> None:
    outbox.tell("a@example.cn", "不会发出", ["x"], "/", now=NOW)
    db.session.rollback()
    assert sender.deliver_due(now=NOW).sent == 0
    assert mailbox.messages == []


def test_a_refusing_server_is_tried_again_later_until_it_accepts(
        app: Flask, mailbox: Mailbox) -> None:
    message = queue()
    mailbox.refuse = ["451 4.3.0 Try again later", "421 4.7.0 Busy"]
    first = sender.deliver_due(now=NOW)
    assert first.retried == 1 and mailbox.messages == []
    db.session.refresh(message)
    assert message.state is State.QUEUED and message.attempts == 1
    assert message.due_at == NOW + timedelta(seconds=60) and "451" in message.last_error
    assert sender.deliver_due(now=NOW + timedelta(seconds=59)).retried == 0  # not yet due
    assert sender.deliver_due(now=NOW + timedelta(seconds=60)).retried == 1
    db.session.refresh(message)
    assert message.due_at == NOW + timedelta(seconds=60 + 120)  # the wait doubles
    assert sender.deliver_due(now=NOW + timedelta(seconds=180)).sent == 1
    assert mailbox.ids() == [message.message_id]


@pytest.fixture
def no_server(app: Flask) -> None:
    from tests.notify.conftest import free_port

    app.config["MAIL_PORT"] = free_port()  # nobody listens there


def test_an_unreachable_server_is_given_up_after_the_last_try(
        app: Flask, no_server: None) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    message = queue()
    moment = NOW
    for _ in range(3):
        sender.deliver_due(now=moment)
        moment += timedelta(hours=7)
    db.session.refresh(message)
    assert message.state is State.FAILED and message.attempts == 3
    assert "cannot connect" in message.last_error


def test_a_refused_recipient_is_a_bounce_and_is_not_tried_again(
        app: Flask, mailbox: Mailbox) -> None:
    first = queue("gone@example.cn")
    mailbox.refuse = ["550 5.1.1 No such user"]
    assert sender.deliver_due(now=NOW).bounced == 1
    db.session.refresh(first)
    assert first.state is State.BOUNCED
    bounce = db.session.scalar(select(Bounce))
    assert bounce is not None and bounce.recipient == "gone@example.cn" and bounce.code == 550
    second = queue("gone@example.cn")
    assert sender.deliver_due(now=NOW).suppressed == 1
    db.session.refresh(second)
    assert second.state is State.SUPPRESSED and mailbox.messages == []


def test_an_address_gets_at_most_the_daily_cap_and_the_rest_tomorrow(
        app: Flask, mailbox: Mailbox) -> None:
    app.config["MAIL_DAILY_CAP"] = 2
    for n in range(3):
        queue(subject=f"第{n}条")
    queue("other@example.cn")
    result = sender.deliver_due(now=NOW)
    assert (result.sent, result.deferred) == (3, 1)
    waiting = db.session.scalar(select(Message).where(Message.state == State.QUEUED))
    assert waiting is not None and waiting.subject == "第2条"
    assert waiting.due_at == day_start(datetime(2026, 3, 3).date())
    assert sender.deliver_due(now=waiting.due_at).sent == 1


def test_the_folder_channel_writes_one_file_per_message_id(app: Flask, tmp_path: Path) -> None:
    app.config["MAIL_FOLDER"] = str(tmp_path / "mail")
    message = queue()
    assert sender.deliver_due(now=NOW).sent == 1
    [path] = (tmp_path / "mail").iterdir()
    assert path.suffix == ".eml" and message.message_id.encode() in path.read_bytes()


def test_mail_send_delivers_and_says_what_it_did(app: Flask, mailbox: Mailbox,
                                                runner: Any) -> None:
    queue()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "发送 1 封" in result.output
    assert len(mailbox.messages) == 1
    assert db.session.scalar(select(func.count()).select_from(Message)
                             .where(Message.state == State.SENT)) == 1
