"""Public pages: follow, confirm, unsubscribe (RFC 8058 one-click too) and manage.

The links in mail carry a token; the pages behind them are the address owner's own, so they are
not stored by browsers or proxies and send no Referer. The site keeps each link's page (by its
address) until what it shows changes: the page's version is that very data, read with one
plain statement on every request, so a confirmation or an ending shows at once and a link that
stops working goes back to the view and its 404. A wrong link is never kept.

Their POSTs take no CSRF token: the token in the URL is the proof, and a mail client's one-click
unsubscribe has no session to hold one. The follow form has no such token, so it carries a CSRF
token like every other form. The two pages without a token that are the same for everyone (how
to follow; the form that asks for one's link) are kept by the page cache, and not stored by
browsers either.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from sunshine import pagecache
from sunshine.extensions import csrf, db, limiter
from sunshine.forms import show_error
from sunshine.notify import outbox, subscriptions, tokens
from sunshine.notify.forms import FollowForm, ManageRequestForm
from sunshine.notify.models import Mode, Subscription, SubState
from sunshine.notify.subscriptions import SubscriptionError
from sunshine.tracked.pages import refuse_spent_guesses, wrong_link
from sunshine.web import render_form_page

bp = Blueprint("notify", __name__, url_prefix="/notify")

INVALID = "这个链接无效或已失效。请使用最新一封邮件中的链接，或重新申请。"

LinkRows = tuple[tuple[object, ...], ...]


class SubscriptionRow(NamedTuple):
    """A subscription as a link's page shows it, from ``link_state``'s plain row."""

    id: int
    label: str
    mode: Mode
    state: SubState

    @classmethod
    def of(cls, row: tuple[object, ...]) -> SubscriptionRow:
        return cls(int(str(row[0])), str(row[1]), Mode(str(row[2])), SubState(str(row[3])))


def _follow_limit() -> str:
    """One budget for both forms that make the site send mail (follow, ask for a link)."""
    return str(current_app.config["NOTIFY_FOLLOW_LIMIT"])


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _invalid() -> tuple[str, int]:
    """The one answer for a wrong link, counted against the address's allowance."""
    wrong_link()
    return render_template("notify/done.html", title="链接无效", lines=[INVALID]), 404


#: A link's page, wherever it is answered from: no Referer carries its token elsewhere.
NO_REFERRER = (("Referrer-Policy", "no-referrer"),)


def _link_page(token: str, purpose: str, page: Callable[[LinkRows], str]
               ) -> Response | tuple[str, int]:
    """The GET of a link: ``page(rows)`` kept per link with ``link_state`` as its version (the
    rows are read again after the version, so a kept page is never older than its version),
    or the one answer for a wrong link, never kept."""
    refuse_spent_guesses()
    if not subscriptions.link_state(token, purpose):
        return _invalid()
    state = functools.partial(subscriptions.link_state, token, purpose)
    return pagecache.cached(lambda: page(state()), extra=state, no_store=True,
                            headers=NO_REFERRER)


def _action_page(title: str, text: Callable[[SubscriptionRow], str], button: str
                 ) -> Callable[[LinkRows], str]:
    def page(rows: LinkRows) -> str:
        if not rows:  # gone since the check: the next request answers the view's 404
            return render_template("notify/done.html", title="链接无效", lines=[INVALID])
        return render_template("notify/action.html", title=title,
                               text=text(SubscriptionRow.of(rows[0])), button=button)
    return page


@bp.route("/follow", methods=["GET", "POST"])
@limiter.shared_limit(_follow_limit, scope="notify-mail", methods=["POST"])
def follow() -> Response | tuple[str, int]:
    """关注: the form for one topic (?topic=&key=), and its answer."""
    if request.method == "GET":
        return _follow_page()
    form = FollowForm()
    topic: subscriptions.Topic | None = None
    if form.validate():
        try:
            topic = subscriptions.resolve(form.topic.data, form.key.data)
            address = subscriptions.normalise_address(form.email.data)
        except SubscriptionError as error:
            show_error(form, error, "email")
        else:
            if not form.website.data:  # a robot filled the hidden field: say the same, do nothing
                subscriptions.request_subscription(address, topic, Mode(form.mode.data))
                db.session.commit()
            return render_template("notify/done.html", title="请查收确认邮件", lines=[
                f"我们已向 {address} 发送了一封确认邮件。",
                f"点击邮件中的“确认关注”后，“{topic.label}”有新动态时就会通知您。",
                "没有收到？请看看垃圾邮件箱；如果您已经关注过，就不会再收到确认邮件。"]), 200
    return render_form_page("notify/follow.html", form=form, topic=topic)


def _follow_page() -> Response | tuple[str, int]:
    if not request.args:
        # How to follow, without a topic: the same page for every visitor, kept.
        return pagecache.cached(lambda: render_template(
            "notify/follow.html", form=FollowForm(formdata=None), topic=None), no_store=True)
    form = FollowForm(formdata=MultiDict(request.args))
    if not request.args.get("topic"):
        return render_form_page("notify/follow.html", form=form, topic=None)
    try:
        topic = subscriptions.resolve(form.topic.data, form.key.data)
    except SubscriptionError as error:
        return render_template("notify/done.html", title="无法关注",
                               lines=[error.message]), 404
    return render_form_page("notify/follow.html", form=form, topic=topic)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@csrf.exempt
def confirm(token: str) -> Response | tuple[str, int]:
    """确认关注: a button, so that a mail scanner opening the link confirms nothing."""
    if request.method == "GET":
        return _link_page(token, "confirm", _action_page(
            "确认关注", lambda s: f"确认用这个邮箱关注“{s.label}”（{s.mode.label}）？", "确认关注"))
    refuse_spent_guesses()
    subscription = subscriptions.pending_for(token)
    if subscription is None:
        return _invalid()
    subscriptions.confirm(token)
    manage = tokens.issue("manage", subscriber_id=subscription.subscriber_id)
    db.session.commit()
    return _done_with_manage("已确认关注", subscription, manage, [
        f"“{subscription.label}”有新动态时，我们会发邮件通知您。"
        if subscription.state.value == "active"
        else "这项关注已经退订。需要的话，请在网站上重新关注。"])


def _done_with_manage(title: str, subscription: Subscription, manage: str,
                      lines: list[str]) -> tuple[str, int]:
    return render_template("notify/done.html", title=title, lines=lines,
                           manage_url=outbox.absolute(f"/notify/manage/{manage}")), 200


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> Response | tuple[str, int]:
    """退订: a button here; mail clients POST the same URL for one-click unsubscribe."""
    if request.method == "GET":
        return _link_page(token, "unsubscribe", _action_page(
            "退订", lambda s: f"不再接收“{s.label}”的动态？", "退订"))
    refuse_spent_guesses()
    subscription = subscriptions.for_unsubscribe(token)
    if subscription is None:
        return _invalid()
    subscriptions.end(subscription)
    manage = tokens.issue("manage", subscriber_id=subscription.subscriber_id)
    db.session.commit()
    return _done_with_manage("已退订", subscription, manage,
                             [f"您不会再收到“{subscription.label}”的动态。"])


@bp.route("/manage/<token>", methods=["GET", "POST"])
@csrf.exempt
def manage(token: str) -> Response | tuple[str, int]:
    """我的关注: the address's subscriptions, each with a button to end it, and one for all."""
    if request.method == "GET":
        return _link_page(token, "manage", _manage_page)
    refuse_spent_guesses()
    subscriber = subscriptions.subscriber_for(token)
    if subscriber is None:
        return _invalid()
    message = None
    if request.method == "POST":
        choice = request.form.get("end", "")
        if choice == "all":
            subscriptions.end_all(subscriber)
            message = "已退订全部关注。"
        else:
            found = next((s for s in subscriptions.subscriptions_of(subscriber)
                          if str(s.id) == choice), None)
            if found is not None:
                subscriptions.end(found)
                message = f"已退订“{found.label}”。"
        db.session.commit()
    return render_template("notify/manage.html", address=subscriber.address,
                           items=subscriptions.subscriptions_of(subscriber),
                           message=message), 200


def _manage_page(rows: LinkRows) -> str:
    if not rows:  # gone since the check: the next request answers the view's 404
        return render_template("notify/done.html", title="链接无效", lines=[INVALID])
    items = [SubscriptionRow.of(row[1:]) for row in rows if row[1] is not None]
    return render_template("notify/manage.html", address=rows[0][0],
                           items=[s for s in items if s.state is not SubState.ENDED],
                           message=None)


@bp.route("/manage", methods=["GET", "POST"])
@limiter.shared_limit(_follow_limit, scope="notify-mail", methods=["POST"])
def manage_request() -> Response | tuple[str, int]:
    """我的关注: ask for a link to the address's subscriptions by e-mail."""
    if request.method == "GET":
        # The same form for every visitor: kept, with each visitor's own CSRF token put in.
        return pagecache.cached(lambda: render_template(
            "notify/manage_request.html", form=ManageRequestForm()), no_store=True)
    form = ManageRequestForm()
    if form.validate_on_submit():
        try:
            address = subscriptions.normalise_address(form.email.data)
        except SubscriptionError as error:
            show_error(form, error, "email")
        else:
            subscriptions.mail_manage_link(address)
            db.session.commit()
            return render_template("notify/done.html", title="请查收邮件", lines=[
                f"如果 {address} 在本站有关注，我们已把管理链接发到这个邮箱。"]), 200
    return render_form_page("notify/manage_request.html", form=form)
