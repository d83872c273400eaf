"""Deliver the outbox: what is due, one message at a time, each claimed in its own commit.

Why one at a time: a sender killed mid-batch leaves at most the one message it was sending in
``sending``. After ``MAIL_SEND_LEASE_SECONDS`` it is queued again and sent once more with the
same Message-ID, which mail clients use to drop the copy; every other message was either sent
and marked so, or never claimed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from sunshine.clock import day_start, today
from sunshine.database import rowcount, utcnow
from sunshine.extensions import db
from sunshine.notify import tokens
from sunshine.notify.channels import (
    Channel,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
    open_channel,
)
from sunshine.notify.models import Bounce, Message, State
from sunshine.notify.outbox import MANAGE, TOKEN, UNSUBSCRIBE, absolute

log = logging.getLogger(__name__)

BATCH = 100


@dataclass
class Delivery:
    """What one run of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    deferred: int = 0  # over the address's daily cap: tomorrow
    suppressed: int = 0

    def summary(self) -> str:
        return (f"发送 {self.sent} 封，稍后重试 {self.retried} 封，放弃 {self.failed} 封，"
                f"退信 {self.bounced} 封，超出每日上限推迟 {self.deferred} 封，"
                f"因曾退信未发 {self.suppressed} 封。")


def backoff(attempts: int) -> timedelta:
    """The wait before try ``attempts + 1``: doubling from ``MAIL_RETRY_SECONDS``, capped."""
    first = float(current_app.config["MAIL_RETRY_SECONDS"])
    most = float(current_app.config["MAIL_RETRY_MAX_SECONDS"])
    return timedelta(seconds=min(most, first * 2 ** max(0, attempts - 1)))


def requeue_stale(now: datetime) -> int:
    """Queue again the messages whose sender died while sending them (claim older than the
    lease)."""
    lease = timedelta(seconds=float(current_app.config["MAIL_SEND_LEASE_SECONDS"]))
    count = rowcount(db.session.execute(
        update(Message).where(Message.state == State.SENDING, Message.claimed_at <= now - lease)
        .values(state=State.QUEUED)))
    db.session.commit()
    if count:
        log.warning("%d message(s) left in sending by a stopped sender: queued again", count)
    return count


def _claim(message_id: int, now: datetime) -> bool:
    claimed = rowcount(db.session.execute(
        update(Message).where(Message.id == message_id, Message.state == State.QUEUED)
        .values(state=State.SENDING, claimed_at=now)))
    db.session.commit()
    return claimed == 1


def _sent_today(recipient: str, now: datetime) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Message)
        .where(Message.recipient == recipient, Message.sent_at >= day_start(today(now)))) or 0


def _bounced_before(recipient: str) -> bool:
    return db.session.scalar(select(Bounce.id).where(Bounce.recipient == recipient).limit(1)) \
        is not None


def deliver_due(now: datetime | None = None) -> Delivery:
    """Send every message due at ``now``; retry later what the channel could not take."""
    now = now or utcnow()
    result = Delivery()
    requeue_stale(now)
    channels: dict[str, Channel] = {}
    try:
        done: set[int] = set()
        while True:
            ids = [i for i in db.session.scalars(
                select(Message.id).where(Message.state == State.QUEUED, Message.due_at <= now)
                .order_by(Message.due_at, Message.id).limit(BATCH)) if i not in done]
            if not ids:
                return result
            for message_id in ids:
                done.add(message_id)
                if _claim(message_id, now):
                    _deliver_one(message_id, now, channels, result)
    finally:
        for channel in channels.values():
            channel.close()


def _with_links(message: Message, now: datetime) -> Outgoing:
    """The message with fresh tokens in its links, minted in this transaction."""
    links: dict[str, str] = {}
    if message.subscription_id is not None:
        token = tokens.issue("unsubscribe", subscriber_id=message.subscriber_id,
                             subscription_id=message.subscription_id, now=now)
        links[UNSUBSCRIBE] = absolute(f"/notify/unsubscribe/{token}")
    if message.subscriber_id is not None:
        token = tokens.issue("manage", subscriber_id=message.subscriber_id, now=now)
        links[MANAGE] = absolute(f"/notify/manage/{token}")
    if message.token_purpose:
        links[TOKEN] = tokens.issue(message.token_purpose, subscriber_id=message.subscriber_id,
                                    subscription_id=message.subscription_id,
                                    ref=message.token_ref, now=now)
    text, html = message.text, message.html
    for mark, link in links.items():
        text, html = text.replace(mark, link), html.replace(mark, link)
    return Outgoing(id=message.id, recipient=message.recipient, subject=message.subject,
                    text=text, html=html, message_id=message.message_id,
                    created_at=message.created_at, unsubscribe_url=links.get(UNSUBSCRIBE))


def _deliver_one(message_id: int, now: datetime, channels: dict[str, Channel],
                 result: Delivery) -> None:
    config = current_app.config
    message = db.session.get_one(Message, message_id)
    if _bounced_before(message.recipient):
        message.state = State.SUPPRESSED
        result.suppressed += 1
    elif _sent_today(message.recipient, now) >= int(config["MAIL_DAILY_CAP"]):
        message.state = State.QUEUED
        message.due_at = day_start(today(now) + timedelta(days=1))
        result.deferred += 1
    else:
        outgoing = _with_links(message, now)
        db.session.commit()  # the tokens exist before any mail can carry them
        try:
            channel = channels.get(message.channel)
            if channel is None:
                channel = channels[message.channel] = open_channel(message.channel, config)
            channel.send(outgoing)
        except TemporaryFailure as exc:
            message.attempts += 1
            message.last_error = str(exc)[:300]
            if message.attempts >= int(config["MAIL_MAX_ATTEMPTS"]):
                message.state = State.FAILED
                result.failed += 1
            else:
                message.state = State.QUEUED
                message.due_at = now + backoff(message.attempts)
                result.retried += 1
            log.warning("message %d not delivered (try %d): %s", message.id,
                        message.attempts, exc)
        except PermanentFailure as exc:
            message.attempts += 1
            message.last_error = str(exc)[:300]
            if exc.bounce:
                message.state = State.BOUNCED
                db.session.add(Bounce(recipient=message.recipient, message_id=message.id,
                                      code=exc.code, reason=str(exc)[:300], at=now))
                result.bounced += 1
            else:
                message.state = State.FAILED
                result.failed += 1
            log.warning("message %d refused: %s", message.id, exc)
        else:
            message.state = State.SENT
            message.attempts += 1
            message.sent_at = now
            result.sent += 1
    db.session.commit()
