"""Queue a message: render it now, in the caller's transaction, and let ``sunshine mail send``
deliver it later. A request never waits for a mail server, and a rolled-back event sends nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.notify.models import Message

#: Placeholders in a queued message, replaced by links with fresh tokens when it is sent.
UNSUBSCRIBE = "__UNSUBSCRIBE_URL__"
MANAGE = "__MANAGE_URL__"
TOKEN = "__TOKEN__"


def absolute(path: str) -> str:
    """A link to the site for a message. Built from ``SITE_URL``, never from the request's
    Host header, which a visitor chooses."""
    return current_app.config["SITE_URL"].rstrip("/") + path


def _new_message_id() -> str:
    host = urlsplit(current_app.config["SITE_URL"]).hostname or "localhost"
    return f"<{secrets.token_hex(16)}@{host}>"


def enqueue(recipient: str, subject: str, template: str, context: dict[str, Any] | None = None,
            *, kind: str = "message", subscriber_id: int | None = None,
            subscription_id: int | None = None, token_purpose: str | None = None,
            token_ref: str | None = None, channel: str = "email",
            now: datetime | None = None) -> Message:
    """Render ``notify/<template>.txt`` and ``.html`` (a feature's own ``<folder>/<name>``
    when the name has a slash) and add the message to the outbox.

    A message for a subscription (``subscription_id``) gets an unsubscribe link and the
    List-Unsubscribe headers; one for a subscriber, a link to manage all of the address's
    subscriptions; ``token_purpose``, one more token (``token`` in the template). The caller
    commits (or rolls back) with its own transaction.
    """
    env = current_app.jinja_env
    path = template if "/" in template else f"notify/{template}"
    values = {"subject": subject, "site_name": current_app.config["SITE_NAME"],
              "site_url": absolute("/"),
              "unsubscribe_url": UNSUBSCRIBE if subscription_id is not None else None,
              "manage_url": MANAGE if subscriber_id is not None else None,
              "token": TOKEN if token_purpose else None, **(context or {})}
    message = Message(
        channel=channel, recipient=recipient, subject=subject[:200],
        text=env.get_template(f"{path}.txt").render(values),
        html=env.get_template(f"{path}.html").render(values),
        message_id=_new_message_id(), kind=kind, subscriber_id=subscriber_id,
        subscription_id=subscription_id, token_purpose=token_purpose, token_ref=token_ref,
        created_at=now or utcnow(), due_at=now or utcnow())
    db.session.add(message)
    return message


def tell(recipient: str, subject: str, lines: Sequence[str], link: str,
         link_label: str = "查看详情", *, kind: str = "message",
         now: datetime | None = None) -> Message:
    """A short message to an account holder or a reporter: a few lines and one link (a path of
    this site). Features use this, so that they need no template of their own."""
    return enqueue(recipient, subject, "message",
                   {"lines": list(lines), "link": absolute(link), "link_label": link_label},
                   kind=kind, now=now)
