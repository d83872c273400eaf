"""The mail outbox, its bounces, and the subscriptions of people without an account.

A message is a row written in the transaction of the event that causes it; ``sunshine mail send``
delivers the rows later. Addresses are kept only here and shown to nobody but their owner;
tokens (confirm, unsubscribe, manage) are kept as SHA-256 hashes.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sunshine.database import UTCDateTime, utcnow
from sunshine.extensions import db


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class State(enum.StrEnum):
    QUEUED = "queued"  # waits for its due time
    SENDING = "sending"  # claimed by a sender; back to queued if the sender dies
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry, or refused for good
    BOUNCED = "bounced"  # the server refused the recipient
    SUPPRESSED = "suppressed"  # not tried: the address bounced before


class Message(db.Model):  # type: ignore[name-defined]
    """One message to one recipient on one channel, rendered when it was queued."""

    __tablename__ = "mail_message"
    __table_args__ = (Index("ix_mail_message_state_due", "state", "due_at"),
                      Index("ix_mail_message_recipient_sent", "recipient", "sent_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="email")
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text, default="")
    #: Fixed when queued, so that a message sent twice after a crash carries the same ID.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    #: For a subscription's message: its links to unsubscribe and to manage the address's
    #: subscriptions get tokens minted when it is sent (the text holds placeholders).
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("notify_subscriber.id"),
                                                      default=None)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("notify_subscription.id"),
                                                        default=None)
    #: One more token minted at sending for the ``TOKEN`` placeholder (a confirm link, or a
    #: feature's own purpose with ``token_ref``).
    token_purpose: Mapped[str | None] = mapped_column(String(16), default=None)
    token_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    kind: Mapped[str] = mapped_column(String(32), default="message")
    state: Mapped[State] = mapped_column(_enum(State), default=State.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str] = mapped_column(String(300), default="")


class Bounce(db.Model):  # type: ignore[name-defined]
    """A recipient the mail server refused; later messages to it are not tried."""

    __tablename__ = "mail_bounce"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("mail_message.id"), default=None)
    code: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"

    @property
    def label(self) -> str:
        return "每条即时发送" if self is Mode.IMMEDIATE else "每天汇总一封"


class SubState(enum.StrEnum):
    PENDING = "pending"  # waits for the owner to confirm by e-mail
    ACTIVE = "active"
    ENDED = "ended"


class Subscriber(db.Model):  # type: ignore[name-defined]
    """An e-mail address that follows something, with or without an account."""

    __tablename__ = "notify_subscriber"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="subscriber", order_by="Subscription.id")


class Subscription(db.Model):  # type: ignore[name-defined]
    """One address following one topic: a region (and everything below it) or one thing."""

    __tablename__ = "notify_subscription"
    __table_args__ = (UniqueConstraint("subscriber_id", "topic", "key",
                                       name="uq_notify_subscription_topic"),
                      Index("ix_notify_subscription_topic_key", "topic", "key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("notify_subscriber.id"), index=True)
    topic: Mapped[str] = mapped_column(String(16))  # region, notice, need, project, complaint ...
    key: Mapped[str] = mapped_column(String(64))  # the region code or the thing's id
    label: Mapped[str] = mapped_column(String(200), default="")
    mode: Mapped[Mode] = mapped_column(_enum(Mode), default=Mode.IMMEDIATE)
    state: Mapped[SubState] = mapped_column(_enum(SubState), default=SubState.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions",
                                                  lazy="joined")


class Token(db.Model):  # type: ignore[name-defined]
    """A link's secret, kept as its SHA-256 hash: a copy of the table opens nothing.

    ``purpose`` says what the link does: confirm or end a subscription, manage an address's
    subscriptions, or a feature's own (``ref`` is then the feature's key, e.g. a case).
    """

    __tablename__ = "notify_token"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("notify_subscriber.id"),
                                                      default=None, index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("notify_subscription.id"),
                                                        default=None)
    ref: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DigestItem(db.Model):  # type: ignore[name-defined]
    """News for a subscription in daily mode, waiting for the day's digest."""

    __tablename__ = "notify_digest_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("notify_subscription.id"),
                                                 index=True)
    subject: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
