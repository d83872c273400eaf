"""Helpers for the requests tests: staff users, filings through the service, and the public
form's data (with an honest fill time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from sunshine.accounts.models import Role, User
from sunshine.requests import services
from sunshine.requests.models import InfoRequest
from sunshine.requests.views import FORM_SALT
from tests.conftest import SAMPLE, started_token
from tests.factories import make_user

NAME = "欧阳秀英"  # the applicant: never seen outside the logged view of identities
PHONE = "13912345678"
EMAIL = "ouyang.xiuying@example.com"
#: Monday 2 November 2026, 09:00 in China.
MONDAY = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def china(month: int, day: int, year: int = 2026) -> datetime:
    """09:00 China time on a day, as a UTC instant."""
    return datetime(year, month, day, 1, 0, tzinfo=UTC)


@pytest.fixture
def users(regions: dict[str, str]) -> dict[str, User]:
    """County staff, the other county's staff, oversight, editor and the admin."""
    return {
        "county": make_user("staff-county", Role.STAFF, regions["county"]),
        "other": make_user("staff-other", Role.STAFF, regions["other_county"]),
        "oversight": make_user("oversight", Role.OVERSIGHT, regions["province"]),
        "editor": make_user("editor", Role.EDITOR, regions["province"]),
        "admin": make_user("root-admin", Role.ADMIN, None),
    }


def filing(**overrides: Any) -> services.Filing:
    values: dict[str, Any] = {
        "office_region_code": SAMPLE["county"], "office_kind": "rural",
        "subject": "某村 2024 年衔接资金的使用明细",
        "body": f"我是{NAME}，请公开本村 2024 年衔接资金的支出明细。联系我：{EMAIL}",
        "name": NAME, "phone": PHONE, "email": EMAIL, "consent_to_publish": True}
    values.update(overrides)
    return services.Filing(**values)


def file(now: datetime | None = MONDAY, **overrides: Any) -> tuple[InfoRequest, str]:
    return services.file_request(filing(**overrides), now=now)


def form_data(app: Flask, **overrides: Any) -> dict[str, Any]:
    """A complete, honest public form to the sample county's 乡村振兴局."""
    data: dict[str, Any] = {
        "city": SAMPLE["city"], "county": SAMPLE["county"], "office_kind": "rural",
        "subject": "某村 2024 年衔接资金的使用明细",
        "body": "请公开本村 2024 年衔接资金的支出明细。", "delivery": "online",
        "applicant_type": "person", "name": NAME, "phone": PHONE, "email": EMAIL,
        "consent": "y", "started": started_token(app, FORM_SALT), "action": "submit"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
