"""The pages behind mailed links are kept per link, with the page cache on: answered in front
of Flask, never stored by the browser, sending no Referer, and showing every change of what
they show at once (a confirmation, a new mode, an ending, a link that stops working). A wrong
link is a 404 from the view every time, and a link that was wrong and then minted works."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete

from sunshine import pagecache
from sunshine.extensions import db
from sunshine.notify import subscriptions, tokens
from sunshine.notify.models import Mode, Subscription, Token
from tests.conftest import SAMPLE

pytestmark = pytest.mark.postgres


def get(app: Flask, client: FlaskClient, path: str) -> tuple[Any, bool]:
    """A GET, and whether it was answered in front of Flask (no request hook saw it)."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append("flask") and None)
    try:
        response = client.get(path)
    finally:
        app.before_request_funcs[None].pop()
    return response, not seen


def private(response: Any) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert "ETag" not in response.headers


def follower(address: str = "villager@example.cn", mode: Mode = Mode.IMMEDIATE
             ) -> tuple[Subscription, dict[str, str]]:
    """A pending subscription to the test county and its three links."""
    topic = subscriptions.resolve("region", SAMPLE["county"])
    asked = subscriptions.request_subscription(address, topic, mode)
    links = {purpose: f"/notify/{purpose}/" + tokens.issue(
        purpose, subscriber_id=asked.subscriber_id,
        subscription_id=None if purpose == "manage" else asked.id)
        for purpose in ("confirm", "unsubscribe", "manage")}
    db.session.commit()
    return asked, links


@pytest.mark.own_app  # it adds a before_request hook to count what reaches Flask
def test_a_links_page_is_kept_and_shows_each_change_at_once(
        app: Flask, regions: dict[str, str], client: FlaskClient) -> None:
    subscription, links = follower()
    for path in links.values():
        first, in_front = get(app, client, path)
        assert first.status_code == 200 and not in_front
        private(first)
        again, in_front = get(app, client, path)
        assert again.status_code == 200 and in_front, path
        assert again.data == first.data
        private(again)
    manage = links["manage"]
    assert "待确认" in client.get(manage).text

    assert client.post(links["confirm"]).status_code == 200  # the button
    page, _ = get(app, client, manage)
    assert "已确认" in page.text and "待确认" not in page.text

    subscriptions.request_subscription(subscription.subscriber.address,
                                       subscriptions.resolve("region", SAMPLE["county"]),
                                       Mode.DAILY)  # another mode, asked on the site
    db.session.commit()
    assert "每天汇总一封" in client.get(links["confirm"]).text
    assert "每天汇总一封" in client.get(manage).text

    assert client.post(links["unsubscribe"]).status_code == 200
    ended = client.get(manage)
    assert ended.status_code == 200 and "没有任何关注" in ended.text

    db.session.execute(delete(Token).where(Token.hash == tokens.digest(
        links["confirm"].rsplit("/", 1)[1])))
    db.session.commit()
    gone, in_front = get(app, client, links["confirm"])
    assert gone.status_code == 404 and not in_front
    private(gone)


@pytest.mark.own_app
def test_a_wrong_link_is_a_404_from_the_view_every_time(
        app: Flask, regions: dict[str, str], client: FlaskClient) -> None:
    subscription, _ = follower()
    guess = "A" * 22
    for purpose in ("confirm", "unsubscribe", "manage"):
        path = f"/notify/{purpose}/{guess}"
        for _ in range(2):
            answer, in_front = get(app, client, path)
            assert answer.status_code == 404 and not in_front
            private(answer)
        assert pagecache.store(app).get(
            pagecache.request_key(answer.request.environ)) is None

    # The same address once the link exists: the 404 was not kept.
    db.session.add(Token(hash=tokens.digest(guess), purpose="confirm",
                         subscriber_id=subscription.subscriber_id,
                         subscription_id=subscription.id))
    db.session.commit()
    found = client.get(f"/notify/confirm/{guess}")
    assert found.status_code == 200 and "确认关注" in found.text


def test_a_logged_in_visitor_gets_the_link_page_unstored_too(
        app: Flask, regions: dict[str, str], client: FlaskClient) -> None:
    from sunshine.accounts.models import Role
    from tests.apps import PASSWORD
    from tests.factories import make_user

    make_user("donor-wang", Role.DONOR, None, display_name="王爱心")
    _, links = follower()
    client.get(links["manage"])  # kept for anonymous visitors first
    client.post("/login", data={"login": "donor-wang", "password": PASSWORD})
    client.get("/")  # the welcome message, flashed once
    for _ in range(2):
        page = client.get(links["manage"])
        assert page.status_code == 200 and "villager@example.cn" in page.text
        assert "王爱心" in page.text
        private(page)


@pytest.mark.own_app
def test_the_follow_up_question_is_kept_per_link_until_the_reporter_answers(
        app: Flask, regions: dict[str, str], client: FlaskClient) -> None:
    from sunshine.accounts.models import Role
    from sunshine.complaints import handling, services
    from sunshine.complaints.models import Kind
    from tests.factories import make_user

    staff = make_user("staff-county", Role.STAFF, regions["county"])
    case, _ = services.submit_case(services.Submission(
        kind=Kind.COMPLAINT, category=services.CATEGORIES[0], region_code=regions["county"],
        subject="低保名单有误", body="请核查"))
    handling.accept(case, staff)
    handling.reply(case, staff, "已核查更正。")
    path = "/complaints/followup/" + tokens.issue("followup", ref=str(case.id))
    odd = "/complaints/followup/" + tokens.issue("followup", ref="not-a-case")
    db.session.commit()

    first, in_front = get(app, client, path + "?answer=partly")
    assert first.status_code == 200 and not in_front and "问题解决了吗" in first.text
    private(first)
    again, in_front = get(app, client, path + "?answer=partly")
    assert again.status_code == 200 and in_front and again.data == first.data
    private(again)
    other, in_front = get(app, client, path + "?answer=resolved")  # another address
    assert other.status_code == 200 and not in_front and other.data != first.data
    for _ in range(2):  # an argument the page does not read: rendered, never kept
        unread, in_front = get(app, client, path + "?x=1")
        assert unread.status_code == 200 and not in_front

    assert client.post(path, data={"answer": "partly"}).status_code == 200
    answered, in_front = get(app, client, path + "?answer=partly")
    assert not in_front and "已收到您的回答：<strong>部分解决</strong>" in answered.text
    assert "已收到您的回答" in client.get(path + "?answer=resolved").text

    for wrong in ("/complaints/followup/" + "A" * 22, odd):
        for _ in range(2):
            answer, in_front = get(app, client, wrong)
            assert answer.status_code == 404 and not in_front
            private(answer)


class TestGuesses:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"RATELIMIT_ENABLED": True, "LINK_GUESS_LIMIT": "4 per minute"}

    def test_wrong_links_are_throttled_across_the_link_pages(
            self, app: Flask, regions: dict[str, str], client: FlaskClient) -> None:
        _, links = follower()
        right = client.get(links["manage"])
        assert right.status_code == 200  # a right link costs nothing
        guesses = ["/notify/confirm/" + "A" * 22, "/notify/manage/" + "B" * 22,
                   "/complaints/followup/" + "C" * 22, "/requests/track/files/" + "D" * 30]
        assert [client.get(path).status_code for path in guesses] == [404] * 4
        for path in [*guesses, links["confirm"], links["unsubscribe"]]:
            refused = client.get(path)  # right or wrong: the view says the same
            assert refused.status_code == 429 and "操作太频繁" in refused.text, path
        assert client.post(links["confirm"]).status_code == 429
        other = {"REMOTE_ADDR": "198.51.100.7"}
        assert client.get(links["confirm"], environ_base=other).status_code == 200
        assert client.get(guesses[0], environ_base=other).status_code == 404
