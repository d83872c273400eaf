"""The back office of funds and projects: forms, region scope (403 and an audit entry), bad
input (Chinese 4xx, nothing changed), naughty strings in every text field, deadlines."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sunshine.audit import AuditEntry
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.funds.models import Fund, Spending
from sunshine.projects.models import Project
from sunshine.records.models import LedgerEntry
from tests.apps import PASSWORD
from tests.conftest import SAMPLE, shared_data
from tests.funds.conftest import COUNTY, OTHER_COUNTY, Setup, make_fund
from tests.security.conftest import assert_chinese_page


def logged_in(app, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"login": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def fund_form(**fields: str) -> dict[str, str]:
    data = {"year": "2020", "name": "2020年财政专项扶贫资金",
            "document_number": "桂财农〔2020〕7号", "issuer": "自治区财政厅",
            "source_level": "中央", "fund_type": "财政专项扶贫资金",
            "amount": "500000.00", "region_code": COUNTY, "issued_on": "2020-03-02",
            "purpose": "产业发展"}
    data.update(fields)
    return data


def project_form(**fields: str) -> dict[str, str]:
    data = {"name": "示范饮水工程", "category": "基础设施", "region_code": SAMPLE["village"],
            "year": "2020", "budget": "200000", "implementing_unit": "兴宁区水利局",
            "responsible_role": "水利局局长", "stage": "申报", "beneficiary_households": "30",
            "beneficiary_people": "120", "beneficiary_poor_households": "10"}
    data.update(fields)
    return data


def count(model: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_staff_create_publish_correct_and_spend_through_the_forms(app, staff) -> None:
    client = logged_in(app, "staff-xn")
    response = client.post("/admin/funds/new", data={**fund_form(), "action": "publish"})
    assert response.status_code == 302
    fund = db.session.scalar(select(Fund))
    assert fund.state == "published" and fund.amount == Decimal("500000.00")
    no_reason = client.post(f"/admin/funds/{fund.id}/edit", data=fund_form(amount="600000"))
    assert no_reason.status_code == 400 and "请填写更正原因" in no_reason.get_data(as_text=True)
    response = client.post(f"/admin/funds/{fund.id}/edit",
                           data=fund_form(amount="600000", reason="金额录入错误"))
    assert response.status_code == 302
    db.session.refresh(fund)
    assert fund.version == 2 and fund.amount == Decimal("600000.00")
    client.post("/admin/projects/new", data={**project_form(), "action": "publish"})
    project = db.session.scalar(select(Project))
    assert project.state == "published"
    assert client.post(f"/admin/funds/{fund.id}", data={
        "form": "line", "line-project_id": str(project.id), "line-amount": "200000",
        "line-purpose": "饮水"}).status_code == 302
    assert client.post(f"/admin/funds/{fund.id}", data={
        "form": "spending", "spend-project_id": str(project.id), "spend-amount": "200000.01",
        "spend-paid_on": "2020-05-01", "spend-payee": "示范水利公司"}).status_code == 400
    assert client.post(f"/admin/funds/{fund.id}", data={
        "form": "spending", "spend-project_id": str(project.id), "spend-amount": "150000",
        "spend-paid_on": "2020-05-01", "spend-payee": "示范水利公司"}).status_code == 302
    response = client.post(f"/admin/projects/{project.id}", data={
        "on": "2020-05-02", "stage": "审批", "text": "县扶贫开发领导小组批复立项"})
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.stage == "审批" and project.spent == Decimal("150000.00")
    jump = client.post(f"/admin/projects/{project.id}", data={
        "on": "2020-05-03", "stage": "验收", "text": "跳过阶段"})
    assert jump.status_code == 400 and "只能从" in jump.get_data(as_text=True)
    assert count(LedgerEntry) == 7  # fund ×2, project ×2, line, spending, progress
    assert "资金管理" in client.get("/admin/").get_data(as_text=True)


@pytest.fixture
def other_client(app, funded: Setup, other_staff) -> FlaskClient:
    return logged_in(app, "staff-qx")


def test_staff_of_another_county_get_403_and_the_attempt_is_audited(
        app, funded: Setup, other_client: FlaskClient) -> None:
    from sunshine.funds import services as funds

    spending = funds.record_spending(None, funded.fund, funds.SpendingFields(
        amount=Decimal("5"), paid_on=date(2020, 6, 1), payee="示范单位"))
    fund_id, project_id = funded.fund.id, funded.project.id
    attempts = [
        ("GET", f"/admin/funds/{fund_id}"), ("GET", f"/admin/funds/{fund_id}/edit"),
        ("POST", f"/admin/funds/{fund_id}/edit"), ("POST", f"/admin/funds/{fund_id}/withdraw"),
        ("POST", f"/admin/funds/{fund_id}/publish"), ("POST", f"/admin/funds/{fund_id}"),
        ("GET", f"/admin/funds/spending/{spending.id}/edit"),
        ("POST", f"/admin/funds/spending/{spending.id}/withdraw"),
        ("GET", f"/admin/projects/{project_id}"), ("POST", f"/admin/projects/{project_id}/edit"),
        ("POST", f"/admin/projects/{project_id}/withdraw"),
    ]
    before_entries = count(LedgerEntry)
    for method, url in attempts:
        before = count(AuditEntry)
        response = other_client.open(url, method=method,
                                     data=fund_form(reason="改") if method == "POST" else None)
        assert response.status_code == 403, (method, url)
        assert "没有权限" in response.get_data(as_text=True)
        assert count(AuditEntry) == before + 1, url
        entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry.action == "permission_denied" and entry.actor_name == "staff-qx"
        assert entry.region_code in (COUNTY, SAMPLE["village"]) and url in entry.detail
    # Creating a record in another county's region is refused the same way.
    before = count(AuditEntry)
    assert other_client.post("/admin/funds/new", data=fund_form()).status_code == 403
    assert count(AuditEntry) == before + 1
    assert count(LedgerEntry) == before_entries and count(Fund) == 1
    db.session.refresh(funded.fund)
    assert funded.fund.version == 1
    # Their own list shows nothing of the other county.
    assert funded.fund.name not in other_client.get("/admin/funds/").get_data(as_text=True)


BAD_AMOUNTS = ["-1", "0", "1e309", "NaN", "１００", "100.123456789012", "1,000", "inf",
               "99999999999999", "  ", "１２.５"]


def test_bad_amounts_answer_400_in_chinese_and_store_nothing(app, staff) -> None:
    client = logged_in(app, "staff-xn")
    for amount in BAD_AMOUNTS:
        response = client.post("/admin/funds/new", data=fund_form(amount=amount))
        assert response.status_code == 400, amount
        assert_chinese_page(response.get_data(as_text=True), "金额")
    assert count(Fund) == 0


BAD_FIELDS = [
    ("region_code", "999999999999", "不存在"), ("region_code", "45010200000X", "12 位"),
    ("issued_on", "1999-12-31", "下达日期"), ("issued_on", "2999-01-01", "下达日期"),
    ("issued_on", "2020-02-30", "日期"), ("year", "１９９９", "年度"), ("year", "1800", "年度"),
    ("source_level", "火星", "选择"), ("name", "", "资金名称"),
]


def test_bad_fund_fields_answer_400(app, staff) -> None:
    client = logged_in(app, "staff-xn")
    for field, value, message in BAD_FIELDS:
        response = client.post("/admin/funds/new", data=fund_form(**{field: value}))
        assert response.status_code == 400, (field, value)
        assert_chinese_page(response.get_data(as_text=True), message)
    assert count(Fund) == 0


def test_spending_over_the_balance_leaves_the_record_unchanged(app, funded: Setup,
                                                               staff) -> None:
    client = logged_in(app, "staff-xn")
    for amount in ("1000000.01", "-5", "１"):
        response = client.post(f"/admin/funds/{funded.fund.id}", data={
            "form": "spending", "spend-amount": amount, "spend-paid_on": "2020-05-01",
            "spend-payee": "示范单位"})
        assert response.status_code == 400
        assert_chinese_page(response.get_data(as_text=True))
    response = client.post(f"/admin/funds/{funded.fund.id}", data={
        "form": "spending", "spend-amount": "10", "spend-paid_on": "2099-05-01",
        "spend-payee": "示范单位"})
    assert response.status_code == 400 and "支出日期" in response.get_data(as_text=True)
    assert count(Spending) == 0
    db.session.refresh(funded.fund)
    assert funded.fund.spent == 0 and funded.fund.version == 1


@pytest.fixture
def naughty() -> list[str]:
    strings = json.loads(shared_data("naughty-strings", "blns.json").read_text(encoding="utf-8"))
    return [s for s in strings if s.strip()]


def check_naughty(client: FlaskClient, url: str, make: Callable[[str, int], dict[str, str]],
                  model: Any, naughty: list[str]) -> None:
    for n, value in enumerate(naughty):
        before = count(model)
        response = client.post(url, data=make(value, n))
        assert response.status_code < 500, (value, response.status_code)
        if response.status_code == 302:
            assert count(model) == before + 1, value
        else:
            assert 400 <= response.status_code < 500, (value, response.status_code)
            assert_chinese_page(response.get_data(as_text=True))
            assert count(model) == before, value


def test_naughty_strings_in_every_text_field_of_the_fund_form(app, staff,
                                                              naughty: list[str]) -> None:
    client = logged_in(app, "staff-xn")
    check_naughty(client, "/admin/funds/new", lambda v, n: fund_form(
        name=v, document_number=v, issuer=v, purpose=v, year=v if n % 7 == 0 else "2020",
        amount=v if n % 5 == 0 else "100", region_code=v if n % 11 == 0 else COUNTY),
        Fund, naughty)
    assert count(Fund) > 250
    for fund in db.session.execute(select(Fund)).scalars():
        assert fund.name == fund.name.strip() and len(fund.name) <= 200


def test_naughty_strings_in_every_text_field_of_the_project_form(app, staff,
                                                                 naughty: list[str]) -> None:
    client = logged_in(app, "staff-xn")
    check_naughty(client, "/admin/projects/new", lambda v, n: project_form(
        name=v, implementing_unit=v, responsible_role=v[:100], summary=v, targets=v,
        mechanism=v, beneficiary_households=v if n % 5 == 0 else "30"), Project, naughty)
    assert count(Project) > 300  # most strings are fine as text and were kept


def test_naughty_strings_in_the_spending_form(app, funded: Setup, staff,
                                              naughty: list[str]) -> None:
    client = logged_in(app, "staff-xn")
    check_naughty(client, f"/admin/funds/{funded.fund.id}", lambda v, n: {
        "form": "spending", "spend-amount": "1", "spend-paid_on": "2020-05-01",
        "spend-payee": v, "spend-purpose": v, "spend-voucher": v[:64]}, Spending, naughty[::3])
    from sunshine.records.ledger import verify

    assert verify().ok


def test_dashboard_shows_disclosure_deadlines(app, staff, regions) -> None:
    soon = make_fund(publish=False, issued_on=today() - timedelta(days=12), year=today().year)
    late = make_fund(publish=False, issued_on=today() - timedelta(days=20), year=today().year,
                     document_number="桂财农〔2026〕2号")
    make_fund(publish=False, issued_on=today(), region_code=OTHER_COUNTY, year=today().year,
              document_number="其他县")
    client = logged_in(app, "staff-xn")
    page = client.get("/admin/").get_data(as_text=True)
    for label in ("待公开的资金", "资金即将到公开期限", "资金已逾期未公开"):
        assert label in page
    listing = client.get("/admin/funds/?state=draft").get_data(as_text=True)
    assert "已逾期" in listing and "即将到期" in listing and "其他县" not in listing
    assert listing.index(late.name) <= listing.index(soon.name)
