"""Anti-abuse checks for public forms, without a CAPTCHA: a hidden honeypot field, a signed
time at which the form was shown, and text full of web addresses. A form using them still takes
a suspect submission but holds it for a person instead of publishing it at once.

Each form passes its own salt, so that a token shown with one form is no good for another.
The shortest believable fill time is ``COMPLAINT_MIN_FILL_SECONDS`` for every form.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from sunshine import pagecache

#: A web address in a submission's text.
URL_RE = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)
#: This many web addresses in one submission make it suspect.
MANY_LINKS = 3


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def start_token(salt: str) -> str:
    """The signed moment the form is shown, for its hidden ``started`` field: made for each
    answer, also when the page around the form is kept (``pagecache.token``)."""
    return pagecache.token("started", salt)


def suspicion(honeypot: str | None, token: str | None, salt: str) -> str | None:
    """'honeypot', 'no_timer' (missing or forged time), 'too_fast' or None."""
    if honeypot:
        return "honeypot"
    if not token:
        return "no_timer"
    try:
        _, signed_at = _serializer(salt).loads(token, return_timestamp=True)
    except BadData:
        return "no_timer"
    seconds = (datetime.now(UTC) - signed_at).total_seconds()
    return "too_fast" if seconds < float(current_app.config["COMPLAINT_MIN_FILL_SECONDS"]) \
        else None


def with_links(suspicion: str | None, text: str) -> str | None:
    """The form's own suspicion, else 'links' when ``text`` carries ``MANY_LINKS`` web
    addresses or more, else None."""
    if suspicion is None and len(URL_RE.findall(text)) >= MANY_LINKS:
        return "links"
    return suspicion
