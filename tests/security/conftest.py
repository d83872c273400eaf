"""Helpers for the security tests: counting rows, cheap password hashing, logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sunshine.accounts import services as account_services
from sunshine.accounts.models import LoginAttempt, User
from sunshine.audit import AuditEntry
from sunshine.extensions import db
from tests.conftest import PASSWORD

#: Words that only a Python traceback or a debugger page would show.
TRACEBACK_MARKERS = ("Traceback", "File \"", "werkzeug.debug", "Werkzeug Debugger",
                     "sqlalchemy.exc", "Exception:", "Error:")
HAN = re.compile(r"[\u4e00-\u9fff]")


def count(model: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def user_count() -> int:
    return count(User)


def audit_count() -> int:
    return count(AuditEntry)


def attempt_count() -> int:
    return count(LoginAttempt)


def assert_chinese_page(body: str, *fragments: str) -> None:
    """The page speaks Chinese, names the problem and shows no traceback."""
    assert HAN.search(body), body[:500]
    for fragment in fragments:
        assert fragment in body, f"{fragment!r} not in page"
    for marker in TRACEBACK_MARKERS:
        assert marker not in body, f"{marker!r} leaked into the page"


@pytest.fixture
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cheap hash for tests that create hundreds of accounts (scrypt costs ~50 ms each)."""
    monkeypatch.setattr(account_services, "HASH_METHOD", "pbkdf2:sha256:1")


@pytest.fixture
def client_for(app: Flask) -> Callable[..., FlaskClient]:
    """client_for(username, password=PASSWORD, remember=False): a new client, logged in."""

    def make(username: str, password: str = PASSWORD, remember: bool = False,
             **kwargs: Any) -> FlaskClient:
        client = app.test_client(**kwargs)
        data = {"login": username, "password": password}
        if remember:
            data["remember"] = "y"
        response = client.post("/login", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return client

    return make
