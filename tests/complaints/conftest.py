"""Helpers for the complaints tests: cheap password hashes, a few users, case submissions
through the service and form data for the public form (with an honest fill time)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from sunshine.accounts import services as account_services
from sunshine.accounts.models import Role, User
from sunshine.complaints import services
from sunshine.complaints.models import Case, Kind
from tests.conftest import PASSWORD
from tests.factories import make_user

NAME = "欧阳秀英"  # the reporter of named test cases: never seen outside the oversight view
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt costs ~50 ms a user; these tests are about cases, not passwords."""
    monkeypatch.setattr(account_services, "HASH_METHOD", "pbkdf2:sha256:1")


@pytest.fixture
def users(regions: dict[str, str]) -> dict[str, User]:
    """County staff, the other county's staff, town staff, oversight, editor and the admin."""
    return {
        "county": make_user("staff-county", Role.STAFF, regions["county"]),
        "other": make_user("staff-other", Role.STAFF, regions["other_county"]),
        "town": make_user("staff-town", Role.STAFF, regions["town"]),
        "oversight": make_user("oversight", Role.OVERSIGHT, regions["province"]),
        "editor": make_user("editor", Role.EDITOR, regions["province"]),
        "admin": make_user("root-admin", Role.ADMIN, None),
    }


@pytest.fixture
def client_for(app: Flask) -> Callable[[str], FlaskClient]:
    """client_for(username): a new client, logged in."""

    def make(username: str) -> FlaskClient:
        client = app.test_client()
        response = client.post("/login", data={"login": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return make


def submission(region: str = "450102101201", **overrides: Any) -> services.Submission:
    values: dict[str, Any] = {
        "kind": Kind.REPORT, "category": "资金使用", "region_code": region,
        "subject": "产业补助没有发到户", "body": "去年申报的产业奖补资金一直没有发。"}
    values.update(overrides)
    return services.Submission(**values)


def file_case(region: str = "450102101201", now: datetime | None = None,
              **overrides: Any) -> tuple[Case, str]:
    return services.submit_case(submission(region, **overrides), now=now)


def named_case(**overrides: Any) -> tuple[Case, str]:
    return file_case(named=True, name=NAME, phone=PHONE, **overrides)


def started_token(app: Flask, seconds_ago: int = 60) -> str:
    """The form's signed start time, as if the form had been opened ``seconds_ago``."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="complaint-form-start",
                                  signer=Signer).dumps("start")


def form_data(app: Flask, **overrides: Any) -> dict[str, Any]:
    """A complete, honest public form: anonymous report about a village of the test county."""
    data: dict[str, Any] = {
        "kind": "report", "category": "资金使用", "city": "450100000000",
        "county": "450102000000", "town": "450102101000", "village": "450102101201",
        "subject": "产业补助没有发到户", "body": "去年申报的产业奖补资金，一直没有发到我们手上。",
        "identity": "anonymous", "started": started_token(app), "action": "submit",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def code_from(page: str) -> str:
    """The tracking code shown on the page after submitting."""
    marker = 'id="tracking-code">'
    start = page.index(marker) + len(marker)
    return page[start:page.index("<", start)].strip()
