"""A follower's address is seen by its owner only: not on any public page reachable from the
home page (the follow forms, the follow, confirm, unsubscribe and manage pages included), not
in another address's pages, not in the back office (staff see a count), the audit log or the
application log."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sunshine.accounts.models import Role
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from sunshine.notify import events, sender, subscriptions, tokens
from sunshine.notify.models import Mode, Subscription
from tests.factories import make_user
from tests.test_crawl import crawl

pytestmark = pytest.mark.postgres

SECRET = "ouyang.xiuying"
ADDRESS = f"{SECRET}@example.cn"
OTHER = "neighbour@example.cn"


def test_a_followers_address_appears_nowhere_but_on_its_own_pages(
        app: Flask, client: FlaskClient, regions: dict[str, str], caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.DEBUG)
    app.config["MAIL_FOLDER"] = str(app.config["UPLOAD_DIR"]) + "-mail"
    for key in (regions["county"], regions["village"]):
        answer = client.post("/notify/follow", data={"email": ADDRESS, "topic": "region",
                                                     "key": key, "mode": "daily"})
        assert answer.status_code == 200 and SECRET in answer.text  # its owner typed it
    mine = db.session.scalars(select(Subscription).order_by(Subscription.id)).all()
    theirs = subscriptions.subscribe_confirmed(
        OTHER, subscriptions.resolve("region", regions["county"]), Mode.IMMEDIATE)
    for subscription in mine:
        subscriptions.subscribe_confirmed(ADDRESS, subscriptions.resolve("region",
                                                                          subscription.key))
    events.announce("新公示", "/notices/1", region_code=regions["village"])
    db.session.commit()
    sender.deliver_due()

    visited = crawl(client, "/", limit=150)
    urls = [u for u, status in visited.status.items() if status == 200]
    urls += [f"/stats/{regions['county']}", f"/notices/?region={regions['county']}",
             "/notify/follow", f"/notify/follow?topic=region&key={regions['village']}",
             "/notify/manage", "/sitemap.xml", "/search?q=ouyang"]
    for token in (tokens.issue("manage", subscriber_id=theirs.subscriber_id),
                  tokens.issue("unsubscribe", subscriber_id=theirs.subscriber_id,
                               subscription_id=theirs.id),
                  tokens.issue("confirm", subscriber_id=theirs.subscriber_id,
                               subscription_id=theirs.id)):
        db.session.commit()
        urls += [f"/notify/manage/{token}", f"/notify/unsubscribe/{token}",
                 f"/notify/confirm/{token}"]
    for url in urls:
        assert SECRET not in client.get(url).get_data(as_text=True), url
    assert client.post("/notify/manage", data={"email": ADDRESS}).status_code == 200

    make_user("staff-county", Role.STAFF, regions["county"])
    staff = app.test_client()
    staff.post("/login", data={"login": "staff-county", "password": "correct-horse-battery-9"})
    dashboard = staff.get("/admin/").get_data(as_text=True)
    assert "邮件关注本地区的人数" in dashboard and SECRET not in dashboard
    for entry in db.session.execute(select(AuditEntry)).scalars():
        assert SECRET not in " ".join([entry.detail, entry.object_id, entry.actor_name,
                                       entry.address]), entry.action
    assert SECRET not in "\n".join(r.getMessage() for r in caplog.records)
