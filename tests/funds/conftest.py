"""Fixtures for funds and projects: regions, a county's staff account, a published allocation
with a project funded by it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from sunshine.accounts.models import Role
from sunshine.funds import services as funds
from sunshine.funds.models import Fund
from sunshine.projects import services as projects
from sunshine.projects.models import Project
from tests.conftest import SAMPLE
from tests.factories import make_user

COUNTY, OTHER_COUNTY, VILLAGE = SAMPLE["county"], SAMPLE["other_county"], SAMPLE["village"]


def fund_fields(**overrides: Any) -> funds.FundFields:
    values: dict[str, Any] = {
        "year": 2020, "name": "2020年中央财政专项扶贫资金（第一批）",
        "document_number": "桂财农〔2020〕12号", "issuer": "自治区财政厅", "source_level": "中央",
        "fund_type": "财政专项扶贫资金", "amount": Decimal("1000000.00"), "region_code": COUNTY,
        "purpose": "产业发展和基础设施", "issued_on": date(2020, 3, 2)}
    values.update(overrides)
    return funds.FundFields(**values)


def project_fields(**overrides: Any) -> projects.ProjectFields:
    values: dict[str, Any] = {
        "name": "示范村道硬化工程", "category": "基础设施", "region_code": VILLAGE, "year": 2020,
        "budget": Decimal("300000.00"), "implementing_unit": "兴宁区交通运输局",
        "responsible_role": "交通运输局局长", "summary": "硬化村道 3 公里",
        "beneficiary_households": 40, "beneficiary_people": 160,
        "beneficiary_poor_households": 12, "approved_on": date(2020, 4, 1)}
    values.update(overrides)
    return projects.ProjectFields(**values)


def make_fund(publish: bool = True, **overrides: Any) -> Fund:
    fund = funds.create_fund(None, fund_fields(**overrides))
    if publish:
        funds.publish_fund(None, fund)
    return fund


def make_project(publish: bool = True, **overrides: Any) -> Project:
    project = projects.create_project(None, project_fields(**overrides))
    if publish:
        projects.publish_project(None, project)
    return project


@dataclass
class Setup:
    fund: Fund
    project: Project


@pytest.fixture
def funded(regions: dict[str, str]) -> Setup:
    """A published allocation of 1,000,000.00 with 300,000.00 lined to a published project."""
    fund = make_fund()
    project = make_project()
    funds.add_line(None, fund, None, project.id, Decimal("300000.00"), "村道")
    return Setup(fund, project)


@pytest.fixture
def staff(regions: dict[str, str]) -> Any:
    return make_user("staff-xn", Role.STAFF, COUNTY)


@pytest.fixture
def other_staff(regions: dict[str, str]) -> Any:
    return make_user("staff-qx", Role.STAFF, OTHER_COUNTY)
