"""Following without an account: ask (double opt-in by e-mail), confirm, end one, end all.

Anyone may type any address, so nothing is sent to it but the confirmation request until its
owner confirms, and the pages answer the same whether the address was known or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

from sunshine.database import rowcount, utcnow
from sunshine.extensions import db
from sunshine.failures import FieldError
from sunshine.notify import outbox, tokens
from sunshine.notify.models import Mode, Subscriber, Subscription, SubState, Token
from sunshine.pagecache.versions import plain_rows
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.regions.services import full_name
from sunshine.registry import registry

#: The levels one may follow by region: county, town and village.
REGION_LEVELS = (3, 4, 5)
#: A plain address: no spaces, quotes, angle brackets or control characters, one @, a dotted
#: domain. Stricter than RFC 5322 on purpose: these addresses go into mail headers.
ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}"
                     r"(\.[A-Za-z0-9-]{1,63})+")
SIGNED_SALT = "notify-follow"


class SubscriptionError(FieldError):
    """A follow request the site cannot take (bad address, unknown topic)."""


@dataclass(frozen=True)
class Topic:
    """What a follow form names: a topic, its key, and the words to show for it."""

    topic: str
    key: str
    label: str


def normalise_address(text: str | None) -> str:
    """:raise SubscriptionError: unless ``text`` is a plain e-mail address."""
    address = (text or "").strip()
    if len(address) > 254 or not ADDRESS.fullmatch(address):
        raise SubscriptionError("请填写有效的电子邮件地址，例如 name@example.com。", "email")
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def sign_key(topic: str, key: str) -> str:
    """The key of a signed topic as a page that proved the right to it puts in its form."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SIGNED_SALT).dumps(
        [topic, key])


def resolve(topic: str | None, key: str | None) -> Topic:
    """The followed thing named by a form.

    :raise SubscriptionError: for an unknown topic, a key that names nothing public, or a
        signed topic whose key the site did not sign.
    """
    topic, key = (topic or "").strip(), (key or "").strip()
    if topic == "region":
        try:
            code = codes.normalise(key)
        except codes.InvalidCode as exc:
            raise SubscriptionError("请选择要关注的地区。") from exc
        region = db.session.get(Region, code)
        if region is None or region.level not in REGION_LEVELS:
            raise SubscriptionError("只能关注县（市、区）、乡镇或村的动态。")
        return Topic("region", code, full_name(region))
    found = registry().follow_topics.get(topic)
    if found is None or len(key) > 200:
        raise SubscriptionError("要关注的内容不存在。")
    if found.signed:
        try:
            signed_topic, key = URLSafeSerializer(
                current_app.config["SECRET_KEY"], salt=SIGNED_SALT).loads(key)
        except BadSignature as exc:
            raise SubscriptionError("要关注的内容不存在。") from exc
        if signed_topic != topic:
            raise SubscriptionError("要关注的内容不存在。")
    label = found.label(key) if len(key) <= 64 else None
    if label is None:
        raise SubscriptionError("要关注的内容不存在。")
    return Topic(topic, key, label)


def _subscriber(address: str, now: datetime) -> Subscriber:
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.address == address))
    if subscriber is None:
        subscriber = Subscriber(address=address, created_at=now)
        db.session.add(subscriber)
        db.session.flush()
    return subscriber


def request_subscription(address: str, topic: Topic, mode: Mode,
                         now: datetime | None = None) -> Subscription:
    """Ask to follow ``topic``: a pending subscription and a confirmation message. An active
    subscription only takes the new mode; nothing is mailed then (the owner already follows).
    """
    now = now or utcnow()
    subscriber = _subscriber(address, now)
    subscription = db.session.scalar(select(Subscription).where(
        Subscription.subscriber_id == subscriber.id, Subscription.topic == topic.topic,
        Subscription.key == topic.key))
    if subscription is None:
        subscription = Subscription(subscriber_id=subscriber.id, topic=topic.topic,
                                    key=topic.key, created_at=now)
        db.session.add(subscription)
    subscription.label = topic.label[:200]
    subscription.mode = mode
    if subscription.state is SubState.ACTIVE:
        return subscription
    subscription.state = SubState.PENDING
    subscription.ended_at = None
    db.session.flush()
    outbox.enqueue(address, f"请确认关注：{topic.label}"[:200], "confirm",
                   {"label": topic.label, "mode": mode.label}, kind="confirm",
                   subscription_id=subscription.id, token_purpose="confirm", now=now)
    return subscription


def subscribe_confirmed(address: str, topic: Topic, mode: Mode = Mode.IMMEDIATE,
                        now: datetime | None = None) -> Subscription:
    """Follow ``topic`` at once, without a confirmation: for an address the site already
    knows to be its owner's (a reporter following their own case, the demo)."""
    now = now or utcnow()
    subscriber = _subscriber(address, now)
    subscription = db.session.scalar(select(Subscription).where(
        Subscription.subscriber_id == subscriber.id, Subscription.topic == topic.topic,
        Subscription.key == topic.key))
    if subscription is None:
        subscription = Subscription(subscriber_id=subscriber.id, topic=topic.topic,
                                    key=topic.key, created_at=now)
        db.session.add(subscription)
    subscription.label, subscription.mode = topic.label[:200], mode
    subscription.state, subscription.confirmed_at = SubState.ACTIVE, now
    db.session.flush()
    return subscription


def active_for(topic: str, key: str) -> list[Subscription]:
    """The running subscriptions to one thing, with their addresses."""
    return list(db.session.scalars(select(Subscription).where(
        Subscription.topic == topic, Subscription.key == key,
        Subscription.state == SubState.ACTIVE).order_by(Subscription.id)))


def _by_token(token: str, purpose: str) -> Subscription | None:
    if not tokens.plausible(token):
        return None
    return db.session.scalar(select(Subscription).join(
        Token, Token.subscription_id == Subscription.id).where(tokens.matches(token, purpose)))


def pending_for(token: str) -> Subscription | None:
    """The subscription a confirm link is for, or None for a wrong link."""
    return _by_token(token, "confirm")


def confirm(token: str, now: datetime | None = None) -> Subscription | None:
    """Start the subscription a confirm link is for; confirming twice changes nothing. An
    ended subscription stays ended: an old confirmation mail does not bring it back."""
    subscription = _by_token(token, "confirm")
    if subscription is not None and subscription.state is SubState.PENDING:
        subscription.state = SubState.ACTIVE
        subscription.confirmed_at = now or utcnow()
    return subscription


def for_unsubscribe(token: str) -> Subscription | None:
    return _by_token(token, "unsubscribe")


def end(subscription: Subscription, now: datetime | None = None) -> None:
    if subscription.state is not SubState.ENDED:
        subscription.state = SubState.ENDED
        subscription.ended_at = now or utcnow()


def subscriber_for(token: str) -> Subscriber | None:
    """The address a manage link is for, or None for a wrong link."""
    if not tokens.plausible(token):
        return None
    return db.session.scalar(select(Subscriber).join(
        Token, Token.subscriber_id == Subscriber.id).where(tokens.matches(token, "manage")))


#: What a link's page shows, as plain rows: for a confirm or unsubscribe link, its
#: subscription; for a manage link, the address and all its subscriptions.
_LINK_SQL = {
    "subscription": "SELECT s.id, s.label, s.mode, s.state FROM notify_token t"
                    " JOIN notify_subscription s ON s.id = t.subscription_id"
                    " WHERE t.hash = ? AND t.purpose = ?",
    "subscriber": "SELECT b.address, s.id, s.label, s.mode, s.state FROM notify_token t"
                  " JOIN notify_subscriber b ON b.id = t.subscriber_id"
                  " LEFT JOIN notify_subscription s ON s.subscriber_id = b.id"
                  " WHERE t.hash = ? AND t.purpose = ? ORDER BY s.id",
}


def link_state(token: str, purpose: str) -> tuple[tuple[object, ...], ...]:
    """Everything the page of a link shows, read with one plain statement (empty for a wrong
    link): the version of the page kept for that link, so that a confirmation, an ending or a
    new subscription shows at once in every worker."""
    if not tokens.plausible(token):
        return ()
    sql = _LINK_SQL["subscriber" if purpose == "manage" else "subscription"]
    return plain_rows(sql, (tokens.digest(token), purpose))


def subscriptions_of(subscriber: Subscriber) -> list[Subscription]:
    """The address's subscriptions that are not ended, oldest first."""
    return list(db.session.scalars(select(Subscription).where(
        Subscription.subscriber_id == subscriber.id, Subscription.state != SubState.ENDED)
        .order_by(Subscription.id)))


def end_all(subscriber: Subscriber, now: datetime | None = None) -> int:
    """End every subscription of the address; returns how many were running or pending."""
    return rowcount(db.session.execute(
        update(Subscription).where(Subscription.subscriber_id == subscriber.id,
                                   Subscription.state != SubState.ENDED)
        .values(state=SubState.ENDED, ended_at=now or utcnow())))


def mail_manage_link(address: str, now: datetime | None = None) -> None:
    """Mail the address a link to its subscriptions, if it has any; silent otherwise, so that
    the page does not tell who follows what."""
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.address == address))
    if subscriber is None or not subscriptions_of(subscriber):
        return
    outbox.enqueue(address, f"管理您在{current_app.config['SITE_NAME']}的关注", "manage", {},
                   kind="manage",
                   subscriber_id=subscriber.id, now=now)


def follower_counts(prefix: str | None = None) -> tuple[int, int]:
    """(addresses, active subscriptions), over regions under ``prefix`` or everything: staff
    see how many follow, never who."""
    query = select(func.count(func.distinct(Subscription.subscriber_id)), func.count()).where(
        Subscription.state == SubState.ACTIVE)
    if prefix is not None:
        query = query.where(Subscription.topic == "region", Subscription.key.startswith(prefix))
    addresses, subscriptions = db.session.execute(query).one()
    return int(addresses), int(subscriptions)
