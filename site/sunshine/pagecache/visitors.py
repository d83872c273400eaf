"""Who asks for a kept page, told in front of Flask: the session cookie read, the account
checked with one query, and the per-visitor values a kept page leaves out (CSRF tokens, a
form's signed start time) made fresh.

The front answers a visitor with a cookie only when what Flask would do with the request is
known: the session holds nothing but a login and a CSRF token (anything else, such as a
flashed message or a remember cookie to turn into a login, goes to Flask), and the account
is still valid (``identify``, installed by the accounts feature: the session's user id and
version, checked in the database like Flask-Login's loader does). A permanent session is
signed again and sent back when Flask would (see ``web.SessionInterface``), so that it stays
alive.

Tokens are signed the way Flask-WTF and ``formguard`` sign them, so the forms check them
unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, Response, current_app, g, session
from flask.sessions import SecureCookieSession
from itsdangerous import URLSafeTimedSerializer
from werkzeug.http import parse_cookie

#: Session keys the front understands: a login (Flask-Login) and a CSRF token.
PLAIN_KEYS = frozenset({"_user_id", "_fresh", "_id", "_permanent", "csrf_token"})

#: ``identify(user id from the session)`` → what the visitor parts show of that account
#: (e.g. its role and name), or None when the session is no longer valid.
Identify = Callable[[str], Hashable | None]


class Cookies:
    """Just enough of a request for Flask's session interface: its cookies."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.cookies = parse_cookie(environ)


class FrontVisitor:
    """A visitor with a cookie, as the front sees them."""

    def __init__(self, session: SecureCookieSession, key: Hashable | None) -> None:
        self.session = session
        self.key = key  # None: not logged in

    def token(self, app: Flask, kind: str, arg: str) -> str:
        return TOKENS[kind](app, self.session, arg)

    def cookie_headers(self, app: Flask) -> list[tuple[str, str]]:
        """The Set-Cookie header Flask would send for this session now (if any)."""
        interface = app.session_interface
        if not self.session.modified and not (self.session
                                              and interface.should_set_cookie(app, self.session)):
            return []
        response = Response()
        app.session_interface.save_session(app, self.session, response)
        return [("Set-Cookie", value) for value in response.headers.getlist("Set-Cookie")]


def new_session() -> SecureCookieSession:
    """The empty session of a visitor without a cookie."""
    return SecureCookieSession()


def identify_with(app: Flask, identify: Identify) -> None:
    """Install how the front checks a logged-in session (the accounts feature does)."""
    app.extensions["page_visitors"] = identify


def visitor_key(app: Flask, user_id: str) -> Hashable | None:
    identify: Identify | None = app.extensions.get("page_visitors")
    return identify(user_id) if identify is not None else None


def read(app: Flask, environ: dict[str, Any]) -> FrontVisitor | None:
    """The visitor behind a request with cookies, or None when only Flask may answer."""
    interface = app.session_interface
    request = Cookies(environ)
    opened = interface.open_session(app, request)  # type: ignore[arg-type]
    if opened is None or not isinstance(opened, SecureCookieSession):
        return None
    if set(opened) - PLAIN_KEYS:
        return None  # flashed messages and whatever else Flask's views put in a session
    user_id = opened.get("_user_id")
    if user_id is None:
        remember = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        return None if remember in request.cookies else FrontVisitor(opened, None)
    if opened.get("_fresh") is not False and opened.get("_id") != _identifier(environ):
        # Another address or browser than at login: Flask-Login's "basic" session protection
        # keeps the visitor logged in but marks the session not fresh; anything stricter is
        # Flask's to decide.
        manager = app.login_manager  # type: ignore[attr-defined]
        if app.config.get("SESSION_PROTECTION", manager.session_protection) != "basic":
            return None
        opened["_fresh"] = False
    key = visitor_key(app, str(user_id))
    return FrontVisitor(opened, key) if key is not None else None


def _identifier(environ: dict[str, Any]) -> str:
    """Flask-Login's session identifier (its ``_create_identifier``), from the environ."""
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    remote = address.encode().split(b",")[0].strip() if address is not None else None
    agent = environ.get("HTTP_USER_AGENT")
    base = f"{remote}|{agent.encode() if agent is not None else None}"
    return hashlib.sha512(base.encode()).hexdigest()


# --- per-visitor tokens ------------------------------------------------------------------------


def _csrf_field(app: Flask) -> str:
    return str(app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token")


def csrf_token(app: Flask, visitor_session: Any, _: str = "") -> str:
    """Flask-WTF's token for this session (``generate_csrf``), its raw value made if new. A
    session that comes back within ``SIGNED_REUSE_SECONDS`` gets the token it got then (the
    same proof, signed once), rather than one signed anew."""
    field = _csrf_field(app)
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    if not isinstance(secret, str | bytes):
        raise RuntimeError("CSRF needs a secret key")
    raw = visitor_session.get(field)
    if not isinstance(raw, str):
        visitor_session[field] = raw = hashlib.sha1(os.urandom(64)).hexdigest()
        return str(_serializer(secret, "wtf-csrf-token").dumps(raw))
    key = (secret, raw)
    now = time.time()
    with _SIGNED_LOCK:
        known = _SIGNED.get(key)
    if known is not None and 0 <= now - known[1] < SIGNED_REUSE_SECONDS:
        return known[0]
    signed = str(_serializer(secret, "wtf-csrf-token").dumps(raw))
    with _SIGNED_LOCK:
        _SIGNED[key] = (signed, now)
        _SIGNED.move_to_end(key)
        while len(_SIGNED) > SIGNED_SIZE:
            _SIGNED.popitem(last=False)
    return signed


#: CSRF tokens signed for sessions that came back with a cookie, per worker.
SIGNED_REUSE_SECONDS = 60
SIGNED_SIZE = 4096
_SIGNED: OrderedDict[tuple[str | bytes, str], tuple[str, float]] = OrderedDict()
_SIGNED_LOCK = threading.Lock()


def start_token(app: Flask, _: Any, salt: str) -> str:
    """``formguard``'s signed moment a form is shown."""
    return _serializer(app.config["SECRET_KEY"], salt).dumps("start")


@functools.lru_cache(maxsize=64)
def _serializer(secret: str | bytes, salt: str) -> URLSafeTimedSerializer:
    """A signer per key and salt, made once (it holds nothing per token)."""
    return URLSafeTimedSerializer(secret, salt=salt)


TOKENS: dict[str, Callable[[Flask, Any, str], str]] = {"csrf": csrf_token,
                                                        "started": start_token}


def flask_token(kind: str, arg: str) -> str:
    """A token for the visitor of Flask's current request (the CSRF token via Flask-WTF, so
    that it is the one the request's forms carry)."""
    if kind == "csrf":
        from flask_wtf.csrf import generate_csrf

        return str(generate_csrf())
    return TOKENS[kind](current_app, session, arg)


def csrf_in_g(value: str | None) -> str | None:
    """Set the request's CSRF token (what ``csrf_token()`` and forms show) and return the one
    it replaces; None removes it."""
    field = _csrf_field(current_app)
    before = g.pop(field, None)
    if value is not None:
        setattr(g, field, value)
    return before
