"""What features call when something public happens: ``announce`` tells everyone who follows
the thing or a region above it, in the feature's own transaction.

A follower of the county hears of a notice for one of its villages; someone who follows both
the village and the notice hears of it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select

from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.notify import outbox
from sunshine.notify.models import DigestItem, Mode, Subscription, SubState
from sunshine.regions import codes


def announce(subject: str, link: str, *, region_code: str | None = None,
             about: tuple[str, str] | None = None, lines: Sequence[str] = (),
             now: datetime | None = None) -> int:
    """Queue ``subject`` (one line) and ``link`` (a path of the site) for the followers of
    ``region_code`` and the regions above it, and of ``about`` (topic, key): a message now for
    those who chose immediate mail (with ``lines`` below the subject), an item of tomorrow's
    digest for the others. Returns how many subscriptions it reached.
    """
    now = now or utcnow()
    wanted = []
    if region_code:
        try:
            region_codes = [*codes.ancestors_of(region_code), region_code]
        except codes.InvalidCode:
            region_codes = []
        if region_codes:
            wanted.append(and_(Subscription.topic == "region", Subscription.key.in_(region_codes)))
    if about is not None:
        wanted.append(and_(Subscription.topic == about[0], Subscription.key == str(about[1])))
    if not wanted:
        return 0
    found = db.session.scalars(select(Subscription).where(
        Subscription.state == SubState.ACTIVE, or_(*wanted))
        .order_by(Subscription.subscriber_id, Subscription.id)).all()
    reached: set[int] = set()
    url = outbox.absolute(link)
    for subscription in found:
        if subscription.subscriber_id in reached:
            continue  # one message an event, whatever the address follows
        reached.add(subscription.subscriber_id)
        if subscription.mode is Mode.DAILY:
            db.session.add(DigestItem(subscription_id=subscription.id, subject=subject[:200],
                                      link=url[:300], created_at=now))
        else:
            outbox.enqueue(subscription.subscriber.address, subject[:200], "alert",
                           {"label": subscription.label, "link": url, "lines": list(lines)},
                           kind="alert",
                           subscriber_id=subscription.subscriber_id,
                           subscription_id=subscription.id, now=now)
    return len(reached)
