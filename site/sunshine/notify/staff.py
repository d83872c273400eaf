"""What staff hear of: one message a day listing what waits in their region (the back office's
dashboard counts of work that are not zero), and the count of people following their region by
e-mail, never who they are."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from sunshine.accounts.models import Role, User
from sunshine.clock import CHINA, day_start, today
from sunshine.extensions import db
from sunshine.notify import outbox
from sunshine.notify.models import Message
from sunshine.notify.subscriptions import follower_counts
from sunshine.regions import codes
from sunshine.registry import Tile, registry

DIGEST_ROLES = (Role.ADMIN, Role.STAFF)


def follower_tiles(user: User) -> list[Tile]:
    """How many addresses follow the staff member's region or places under it."""
    if user.role not in DIGEST_ROLES:
        return []
    prefix = codes.prefix(user.region_code) if user.region_code else None
    addresses, _ = follower_counts(prefix)
    return [Tile("邮件关注本地区的人数", addresses, waiting=False)]


def queue_staff_digests(now: datetime) -> int:
    """Once a China day, from ``NOTIFY_STAFF_DIGEST_HOUR``: each active staff member with an
    e-mail address and something waiting gets one message. Returns how many were queued."""
    if now.astimezone(CHINA).hour < int(current_app.config["NOTIFY_STAFF_DIGEST_HOUR"]):
        return 0
    already = set(db.session.scalars(select(Message.recipient).where(
        Message.kind == "staff_digest", Message.created_at >= day_start(today(now)))))
    staff = db.session.scalars(select(User).where(
        User.active.is_(True), User.role.in_(DIGEST_ROLES), User.email.is_not(None))
        .order_by(User.id)).all()
    sources = registry().tile_sources
    made = 0
    # The tiles name their pages with url_for, which needs a request; links point at SITE_URL.
    with current_app.test_request_context("/", base_url=current_app.config["SITE_URL"]):
        for user in staff:
            if not user.email or user.email in already:
                continue
            tiles = [t for source in sources for t in source(user) if t.count and t.waiting]
            if not tiles:
                continue
            rows = [(t.label, t.count, outbox.absolute(t.url) if t.url else None, t.urgent)
                    for t in tiles]
            region = user.region.name if user.region else "全省"
            outbox.enqueue(user.email, f"{region}今日待办：{len(tiles)} 项", "staff_digest",
                           {"rows": rows, "admin_url": outbox.absolute("/admin/")},
                           kind="staff_digest", now=now)
            made += 1
    return made
