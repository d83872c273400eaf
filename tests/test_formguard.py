"""The public forms' anti-abuse checks: honeypot, signed start time, too quick a fill."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from sunshine import formguard

SALT = "test-form"


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret-key-that-is-long-enough-0123456789",
                      COMPLAINT_MIN_FILL_SECONDS=5)
    with app.app_context():
        yield app


def test_a_filled_honeypot_is_suspect_whatever_the_time(app: Flask) -> None:
    assert formguard.suspicion("http://spam.example", formguard.start_token(SALT),
                               SALT) == "honeypot"


def test_a_missing_or_forged_start_time_is_suspect(app: Flask) -> None:
    assert formguard.suspicion("", None, SALT) == "no_timer"
    assert formguard.suspicion("", "not-a-token", SALT) == "no_timer"
    assert formguard.suspicion("", formguard.start_token("another-form"), SALT) == "no_timer"


def test_a_form_sent_too_quickly_is_suspect_and_a_patient_one_is_not(app: Flask) -> None:
    token = formguard.start_token(SALT)
    assert formguard.suspicion(None, token, SALT) == "too_fast"
    app.config["COMPLAINT_MIN_FILL_SECONDS"] = 0
    assert formguard.suspicion(None, token, SALT) is None


def test_three_web_addresses_make_a_clean_submission_suspect() -> None:
    assert formguard.with_links(None, "见 http://a.example 和 https://b.example") is None
    assert formguard.with_links(None, "http://a.example HTTPS://b.example www.c.example") \
        == "links"
    # The form's own reason comes first, and a clean short text stays clean.
    assert formguard.with_links("honeypot", "www.a www.b www.c") == "honeypot"
    assert formguard.with_links(None, "村里的补助没有发") is None
