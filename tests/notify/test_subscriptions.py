"""Following without an account, end to end over real SMTP: the follow form, double opt-in,
news by region and by thing, the daily digest, one-click unsubscribe (RFC 8058), the page of
all an address's subscriptions, and tokens that are kept only hashed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from sunshine.extensions import db
from sunshine.notify import digests, events, sender
from sunshine.notify.models import DigestItem, Subscription, SubState
from tests.conftest import SAMPLE
from tests.notify.conftest import Mailbox, links, text_of

pytestmark = pytest.mark.postgres

VILLAGE = SAMPLE["village"]
COUNTY = SAMPLE["county"]


def deliver(mailbox: Mailbox, now: datetime | None = None) -> list:
    mailbox.messages.clear()
    sender.deliver_due(now=now)
    return list(mailbox.messages)


def follow(client: FlaskClient, mailbox: Mailbox, key: str = VILLAGE,
           address: str = "villager@example.cn", mode: str = "immediate",
           topic: str = "region") -> str:
    """Follow and confirm; returns the path of the confirm link."""
    answer = client.post("/notify/follow", data={"email": address, "topic": topic, "key": key,
                                                 "mode": mode})
    assert answer.status_code == 200, answer.text
    assert "请查收确认邮件" in answer.text
    [mail] = deliver(mailbox)
    assert mail["To"] == address and mail["Subject"].startswith("请确认关注")
    return links(mail)["confirm"]


def test_double_opt_in_then_news_of_the_village_and_one_click_unsubscribe(
        app: Flask, regions: dict[str, str], client: FlaskClient, mailbox: Mailbox) -> None:
    confirm = follow(client, mailbox)
    subscription = db.session.scalar(select(Subscription))
    assert subscription is not None and subscription.state is SubState.PENDING
    assert events.announce("新公示：某村低保对象公示", "/notices/1", region_code=VILLAGE) == 0
    db.session.commit()
    assert deliver(mailbox) == []  # nothing before the owner confirms

    page = client.get(confirm)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and "确认关注" in page.text
    db.session.refresh(subscription)
    assert subscription.state is SubState.PENDING
    done = client.post(confirm)
    assert done.status_code == 200 and "已确认关注" in done.text
    assert done.headers["Cache-Control"] == "no-store"
    assert done.headers["Referrer-Policy"] == "no-referrer"
    db.session.refresh(subscription)
    assert subscription.state is SubState.ACTIVE

    assert events.announce("新公示：某村低保对象公示", "/notices/1", region_code=VILLAGE) == 1
    db.session.commit()
    [alert] = deliver(mailbox)
    assert alert["Subject"] == "新公示：某村低保对象公示"
    assert "https://sunshine.example.cn/notices/1" in text_of(alert)
    unsubscribe = str(alert["List-Unsubscribe"]).strip().strip("<>")
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert links(alert)["unsubscribe"] == unsubscribe.removeprefix("https://sunshine.example.cn")

    # The mail client's one-click POST: no session, no CSRF token, CSRF protection on.
    app.config["WTF_CSRF_ENABLED"] = True
    one_click = app.test_client().post(
        unsubscribe.removeprefix("https://sunshine.example.cn"),
        data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert one_click.status_code == 200 and "已退订" in one_click.text
    db.session.refresh(subscription)
    assert subscription.state is SubState.ENDED
    assert events.announce("又一条", "/notices/2", region_code=VILLAGE) == 0
    # An old confirmation link does not bring it back.
    client.post(confirm)
    db.session.refresh(subscription)
    assert subscription.state is SubState.ENDED


def test_a_county_follower_hears_of_its_villages_and_one_event_is_one_message(
        app: Flask, regions: dict[str, str], client: FlaskClient, mailbox: Mailbox) -> None:
    client.post(follow(client, mailbox, key=COUNTY))
    client.post(follow(client, mailbox, key=VILLAGE))
    assert events.announce("新项目：村道硬化", "/projects/3", region_code=VILLAGE) == 1
    assert events.announce("别的县的项目", "/projects/4",
                           region_code=SAMPLE["far_county"]) == 0
    db.session.commit()
    [alert] = deliver(mailbox)
    assert alert["Subject"] == "新项目：村道硬化"


def test_the_daily_digest_gathers_a_day_of_news_in_one_message(
        app: Flask, regions: dict[str, str], client: FlaskClient, mailbox: Mailbox) -> None:
    client.post(follow(client, mailbox, mode="daily"))
    day = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    events.announce("第一条公示", "/notices/1", region_code=VILLAGE, now=day)
    events.announce("第二条：资金下达", "/funds/5", region_code=VILLAGE, now=day)
    db.session.commit()
    assert deliver(mailbox) == []
    assert digests.queue_due_digests(now=day + timedelta(hours=3)) == 0  # the same China day
    next_day = day + timedelta(days=1)
    assert digests.queue_due_digests(now=next_day) == 1
    assert digests.queue_due_digests(now=next_day) == 0
    [digest] = deliver(mailbox, now=next_day)
    assert "（2 条）" in digest["Subject"]
    body = text_of(digest)
    assert "第一条公示" in body and "https://sunshine.example.cn/funds/5" in body
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert db.session.scalar(select(DigestItem)) is None


def test_the_manage_page_lists_and_ends_an_addresss_subscriptions(
        app: Flask, regions: dict[str, str], client: FlaskClient, mailbox: Mailbox) -> None:
    client.post(follow(client, mailbox, key=COUNTY))
    client.post(follow(client, mailbox, key=VILLAGE, mode="daily"))
    follow(client, mailbox, key=SAMPLE["town"], address="other@example.cn")

    asked = client.post("/notify/manage", data={"email": "villager@example.cn"})
    assert asked.status_code == 200
    unknown = client.post("/notify/manage", data={"email": "nobody@example.cn"})
    assert unknown.text.replace("nobody", "villager") == asked.text  # says nothing of who follows
    [mail] = deliver(mailbox)
    assert mail["To"] == "villager@example.cn"
    manage = links(mail)["manage"]

    page = client.get(manage)
    assert page.status_code == 200
    assert "villager@example.cn" in page.text and "other@example.cn" not in page.text
    assert SAMPLE["county_name"] in page.text and "每天汇总一封" in page.text
    county = db.session.scalar(select(Subscription).where(Subscription.key == COUNTY))
    assert county is not None
    client.post(manage, data={"end": str(county.id)})
    other = db.session.scalar(select(Subscription).where(Subscription.key == SAMPLE["town"]))
    assert other is not None
    client.post(manage, data={"end": str(other.id)})  # another address's: not this page's
    states = dict(db.session.execute(select(Subscription.key, Subscription.state)).tuples().all())
    assert states == {COUNTY: SubState.ENDED, VILLAGE: SubState.ACTIVE,
                      SAMPLE["town"]: SubState.PENDING}
    ended = client.post(manage, data={"end": "all"})
    assert "已退订全部关注" in ended.text
    assert db.session.scalar(select(Subscription.state).where(Subscription.key == VILLAGE)) \
        is SubState.ENDED


def test_links_are_kept_only_as_hashes_and_a_wrong_one_looks_like_any_other(
        app: Flask, regions: dict[str, str], client: FlaskClient, mailbox: Mailbox) -> None:
    confirm = follow(client, mailbox)
    token = confirm.rsplit("/", 1)[1]
    assert len(token) >= 22  # 128 random bits, URL-safe base64
    for table in ("notify_token", "mail_message"):
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
        assert rows and not any(token in str(row) for row in rows), table
    wrong = client.get(confirm[:-2] + "xx")
    unknown = client.get("/notify/confirm/" + "A" * 22)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.text == unknown.text
    assert client.get("/notify/unsubscribe/" + token).status_code == 404  # not for this purpose
    assert client.get("/notify/manage/" + "x" * 500).status_code == 404


def test_a_case_is_followed_only_with_the_key_its_page_signed(
        app: Flask, regions: dict[str, str], client: FlaskClient, mailbox: Mailbox) -> None:
    from sunshine.complaints import services as complaints
    from sunshine.complaints.models import Kind
    from sunshine.notify.subscriptions import sign_key

    case, _ = complaints.submit_case(complaints.Submission(
        kind=Kind.SUGGESTION, category=complaints.CATEGORIES[0], region_code=COUNTY,
        subject="建议", body="多修几条路"))
    forged = client.post("/notify/follow", data={"email": "a@example.cn", "topic": "complaint",
                                                 "key": str(case.id), "mode": "immediate"})
    assert forged.status_code == 400 and "要关注的内容不存在" in forged.text
    other_topic = client.post("/notify/follow", data={
        "email": "a@example.cn", "topic": "complaint", "key": sign_key("notice", str(case.id)),
        "mode": "immediate"})
    assert other_topic.status_code == 400
    signed = sign_key("complaint", str(case.id))
    confirm = follow(client, mailbox, topic="complaint", key=signed, address="a@example.cn")
    assert confirm.startswith("/notify/confirm/")
