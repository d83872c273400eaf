"""Helpers for the complaints tests: a few users, case submissions through the service and
form data for the public form (with an honest fill time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from sunshine.accounts.models import Role, User
from sunshine.complaints import services
from sunshine.complaints.models import Case, Kind
from sunshine.complaints.views import FORM_SALT
from tests.conftest import SAMPLE, started_token
from tests.factories import make_user

NAME = "欧阳秀英"  # the reporter of named test cases: never seen outside the oversight view
PHONE = "13912345678"


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


def submission(region: str = SAMPLE["village"], **overrides: Any) -> services.Submission:
    values: dict[str, Any] = {
        "kind": Kind.REPORT, "category": "资金使用", "region_code": region,
        "subject": "产业补助没有发到户", "body": "去年申报的产业奖补资金一直没有发。"}
    values.update(overrides)
    return services.Submission(**values)


def file_case(region: str = SAMPLE["village"], now: datetime | None = None,
              **overrides: Any) -> tuple[Case, str]:
    return services.submit_case(submission(region, **overrides), now=now)


def named_case(**overrides: Any) -> tuple[Case, str]:
    return file_case(named=True, name=NAME, phone=PHONE, **overrides)


def form_data(app: Flask, **overrides: Any) -> dict[str, Any]:
    """A complete, honest public form: anonymous report about a village of the test county."""
    data: dict[str, Any] = {
        "kind": "report", "category": "资金使用", "city": SAMPLE["city"],
        "county": SAMPLE["county"], "town": SAMPLE["town"], "village": SAMPLE["village"],
        "subject": "产业补助没有发到户", "body": "去年申报的产业奖补资金，一直没有发到我们手上。",
        "identity": "anonymous", "started": started_token(app, FORM_SALT), "action": "submit",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
