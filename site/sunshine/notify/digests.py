"""The daily digest: everything a daily subscription gathered, in one message, once it holds
an item from before today (China time). So an address gets at most one digest a day for each
subscription, whenever ``sunshine mail send`` runs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, select

from sunshine.clock import day_start, today
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.notify import outbox
from sunshine.notify.models import DigestItem, Subscription, SubState


def queue_due_digests(now: datetime | None = None) -> int:
    """Queue a digest for each daily subscription that has an item from before today; items
    of an ended subscription are dropped. Returns how many digests were queued."""
    now = now or utcnow()
    due = set(db.session.scalars(select(DigestItem.subscription_id).where(
        DigestItem.created_at < day_start(today(now)))))
    if not due:
        return 0
    items: dict[int, list[DigestItem]] = defaultdict(list)
    for item in db.session.scalars(select(DigestItem).where(
            DigestItem.subscription_id.in_(due)).order_by(DigestItem.id)):
        items[item.subscription_id].append(item)
    made = 0
    for subscription in db.session.scalars(select(Subscription).where(
            Subscription.id.in_(due)).order_by(Subscription.id)):
        if subscription.state is SubState.ACTIVE:
            found = items[subscription.id]
            outbox.enqueue(subscription.subscriber.address,
                           f"每日汇总：{subscription.label}（{len(found)} 条）"[:200], "digest",
                           {"label": subscription.label,
                            "items": [(i.subject, i.link) for i in found]},
                           kind="digest", subscriber_id=subscription.subscriber_id,
                           subscription_id=subscription.id, now=now)
            made += 1
    db.session.execute(delete(DigestItem).where(DigestItem.subscription_id.in_(due)))
    db.session.commit()
    return made
