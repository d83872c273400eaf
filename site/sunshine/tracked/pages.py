"""The tracking page of a feature: the form that takes a code, the limits on submissions and
on guesses, and the flow from a code to what it tracks, or to the one answer for a code that
finds nothing. Each feature keeps its template, its words and what its page shows.

Codes travel only in POST bodies, never in URLs, so that they stay out of logs, histories and
Referer headers. The pages behind secret links (a mailed link, a download link) share one limit
on wrong links instead (``LINK_GUESS_LIMIT``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Response, abort, current_app, render_template
from flask_limiter import RouteLimit
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from wtforms import HiddenField, StringField

from sunshine import pagecache
from sunshine.extensions import limiter
from sunshine.forms import BaseForm, length, required, set_field_error
from sunshine.web import render_form_page

T = TypeVar("T")


class TrackForm(BaseForm):
    code = StringField("查询码", validators=[required("请输入查询码"), length(64)],
                       description="提交时得到的 16 位查询码，例如 K7QF-M2XD-9TRA-3HPW，"
                                   "大小写和短横线都可以不管。")


def code_field() -> HiddenField:
    """The code carried by a form on the tracking page (a rating, a 补正), looked up again
    with every post."""
    return HiddenField(validators=[required("请输入查询码"), length(64)])


def _configured(key: str) -> Callable[[], str]:
    return lambda: str(current_app.config[key])


def submissions_limited(config_key: str) -> RouteLimit:
    """Posts of a public form per address, as configured (``COMPLAINT_SUBMIT_LIMIT`` ...);
    opening the form is free."""
    return limiter.limit(_configured(config_key), methods=["POST"])


def guesses_limited(config_key: str, scope: str) -> RouteLimit:
    """Posts of a code per address, as configured (``COMPLAINT_TRACK_LIMIT`` ...). Every page
    of a feature that takes a code counts against one shared limit (``scope``), so that rating
    a reply or answering a 补正 request is no way around the tracking page's."""
    return limiter.shared_limit(_configured(config_key), scope=scope, methods=["POST"])


#: The one limit shared by every page behind a secret link.
LINK_SCOPE = "secret-link"


def _link_limit() -> tuple[list[RateLimitItem], str] | None:
    """The limits on wrong links (``LINK_GUESS_LIMIT``) and this visitor's address, or None
    when limits are off."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    return parse_many(str(current_app.config["LINK_GUESS_LIMIT"])), get_remote_address()


def link_guesses_spent() -> bool:
    """Whether this address has tried its allowance of wrong secret links. Then every link page
    its view answers is a 429, for a right link as for a wrong one, so that guessing on learns
    nothing. A page already kept for a right link is still answered in front of the view:
    finding one means guessing a 128-bit token somebody has opened."""
    found = _link_limit()
    return found is not None and any(
        not limiter.limiter.test(item, LINK_SCOPE, found[1]) for item in found[0])


def wrong_link() -> None:
    """Count a wrong link against this address's allowance."""
    found = _link_limit()
    if found is not None:
        for item in found[0]:
            limiter.limiter.hit(item, LINK_SCOPE, found[1])


def refuse_spent_guesses() -> None:
    """:raise TooManyRequests: when this address has tried too many wrong links."""
    if link_guesses_spent():
        abort(429)


@dataclass(frozen=True)
class TrackingPage:
    """One feature's tracking page: its template, the name under which the template gets what a
    code found (None while there is nothing to show), and the one message for a code that finds
    nothing."""

    template: str
    found_as: str
    not_found: str

    def empty(self) -> Response:
        """The form alone, kept by the page cache (its CSRF token is each visitor's own)."""
        return pagecache.cached(lambda: render_template(
            self.template, form=TrackForm(), **{self.found_as: None}), no_store=True)

    def lookup(self, find: Callable[[str], T | None],
               show: Callable[[T, str], tuple[str, int]]) -> tuple[str, int]:
        """The posted code's page: ``show(found, code)``, or the answer for a code that finds
        nothing; a missing or overlong code is the form's own error (400)."""
        form = TrackForm()
        if not form.validate():
            return render_form_page(self.template, form=form, **{self.found_as: None})
        found = find(form.code.data)
        if found is None:
            return self.nothing_found(form)
        return show(found, form.code.data.strip())

    def nothing_found(self, form: TrackForm | None = None) -> tuple[str, int]:
        """The one answer for an unknown code, a wrong one and junk: the same page, the same
        status, the same words, so that a guess learns nothing."""
        form = form or TrackForm(formdata=None)
        set_field_error(form.code, self.not_found)
        return render_template(self.template, form=form, **{self.found_as: None}), 200
