"""Allocations, lines and spending through the services: money rules, versions, the hash chain,
the summary table, and overspending under concurrency. Also run on PostgreSQL (--postgres)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from sunshine.extensions import db
from sunshine.failures import PermissionDenied
from sunshine.funds import services as funds
from sunshine.funds.models import Fund, FundLine, FundTotal, Spending
from sunshine.records import ledger
from sunshine.records.checks import RecordError
from sunshine.records.models import LedgerEntry
from tests.conftest import SAMPLE
from tests.funds.conftest import COUNTY, Setup, fund_fields, make_fund

pytestmark = pytest.mark.postgres


def spend(fund: Fund, value: str, project_id: int | None = None, **extra: object) -> Spending:
    fields = funds.SpendingFields(amount=Decimal(value), paid_on=date(2020, 6, 1),
                                  payee="示范建设工程有限公司", purpose="工程款",
                                  voucher="PZ-1", project_id=project_id)
    for key, value_ in extra.items():
        setattr(fields, key, value_)
    return funds.record_spending(None, fund, fields)


def totals(region: str) -> tuple[Decimal, Decimal, int]:
    row = db.session.execute(select(func.sum(FundTotal.allocated), func.sum(FundTotal.spent),
                                    func.sum(FundTotal.funds))
                             .where(FundTotal.region_code == region)).one()
    return row[0] or Decimal(0), row[1] or Decimal(0), int(row[2] or 0)


def test_publishing_appends_to_the_chain_and_the_totals(regions: dict[str, str]) -> None:
    fund = make_fund(publish=False)
    assert fund.state == "draft" and ledger.head() == (0, ledger.GENESIS)
    assert totals(COUNTY) == (0, 0, 0)
    funds.publish_fund(None, fund)
    assert fund.state == "published" and fund.version == 1 and fund.published_on is not None
    for region in (COUNTY, SAMPLE["city"], SAMPLE["province"]):
        assert totals(region) == (Decimal("1000000.00"), 0, 1)
    seq, head = ledger.head()
    entry = db.session.get(LedgerEntry, seq)
    assert entry.record_type == "fund" and entry.hash == head
    assert ledger.chain_hash(ledger.GENESIS, entry.payload) == head
    assert '"amount":"1000000.00"' in entry.payload
    with pytest.raises(RecordError):
        funds.publish_fund(None, fund)


def test_a_correction_is_a_new_version_with_reason_history_and_differences(
        funded: Setup) -> None:
    fund = funded.fund
    with pytest.raises(RecordError, match="原因"):
        funds.correct_fund(None, fund, fund_fields(amount=Decimal("1200000")), "")
    with pytest.raises(RecordError, match="没有变化"):
        funds.correct_fund(None, fund, fund_fields(), "没有改")
    with pytest.raises(RecordError, match="不能少于"):
        funds.correct_fund(None, fund, fund_fields(amount=Decimal("299999.99")), "改少")
    funds.correct_fund(None, fund, fund_fields(amount=Decimal("1200000.00"),
                                               name="2020年中央财政专项扶贫资金（第二批）"),
                       "文件金额录入错误")
    assert fund.version == 2 and fund.amount == Decimal("1200000.00")
    versions = ledger.history("fund", fund.id)
    assert [v.action for v in versions] == ["publish", "correct"]
    assert versions[1].reason == "文件金额录入错误"
    assert ("amount", "1000000.00", "1200000.00") in versions[1].changes
    assert totals(COUNTY)[0] == Decimal("1200000.00") and totals(COUNTY)[2] == 1
    assert ledger.verify().ok


def test_lines_and_spending_never_exceed_what_is_left(funded: Setup) -> None:
    fund, project = funded.fund, funded.project
    with pytest.raises(RecordError, match="还可分配 700000.00 元"):
        funds.add_line(None, fund, SAMPLE["town"], None, Decimal("700000.01"))
    funds.add_line(None, fund, SAMPLE["town"], None, Decimal("700000.00"), "到户补助")
    assert fund.lined == fund.amount
    spend(fund, "100000.50", project.id)
    with pytest.raises(RecordError, match="还可支出 199999.50 元"):
        spend(fund, "199999.51", project.id)
    spend(fund, "899999.50")  # the rest of the fund, outside the project
    with pytest.raises(RecordError, match="还可支出 0.00 元"):
        spend(fund, "0.01")
    db.session.refresh(fund)
    assert fund.spent == fund.amount and fund.balance == 0
    db.session.refresh(project)
    assert project.funded == Decimal("300000.00") and project.spent == Decimal("100000.50")
    assert totals(COUNTY)[1] == Decimal("1000000.00")
    # Nothing of the refused attempts was stored.
    assert db.session.scalar(select(func.count()).select_from(Spending)) == 2
    assert ledger.verify().ok


def test_spending_needs_a_line_to_its_project_and_a_date_after_the_issue(funded: Setup,
                                                                         regions) -> None:
    from tests.funds.conftest import make_project

    unfunded = make_project(name="没有分到钱的项目")
    with pytest.raises(RecordError, match="先添加分配"):
        spend(funded.fund, "10", unfunded.id)
    with pytest.raises(RecordError, match="支出日期"):
        spend(funded.fund, "10", paid_on=date(2019, 1, 1))
    with pytest.raises(RecordError, match="支出日期"):
        spend(funded.fund, "10", paid_on=date(2099, 1, 1))
    with pytest.raises(RecordError, match="收款单位"):
        spend(funded.fund, "10", payee="  ")


def test_correcting_and_withdrawing_spending_moves_the_money_back(funded: Setup) -> None:
    fund = funded.fund
    item = spend(fund, "1000.00", funded.project.id)
    fields = funds.SpendingFields(amount=Decimal("1500.00"), paid_on=date(2020, 6, 1),
                                  payee="示范建设工程有限公司", purpose="工程款", voucher="PZ-1")
    funds.correct_spending(None, item, fields, "补录差额")
    db.session.refresh(fund)
    assert item.version == 2 and fund.spent == Decimal("1500.00")
    with pytest.raises(RecordError, match="还可支出"):
        funds.correct_spending(None, item, funds.SpendingFields(
            amount=Decimal("300000.01"), paid_on=date(2020, 6, 1), payee="x"), "太多")
    funds.withdraw_spending(None, item, "重复登记")
    db.session.refresh(fund)
    line = db.session.scalar(select(FundLine))
    assert fund.spent == 0 and line.spent == 0 and totals(COUNTY)[1] == 0
    assert [v.action for v in ledger.history("spending", item.id)] == \
        ["publish", "correct", "withdraw"]
    with pytest.raises(RecordError, match="分配和支出"):
        funds.withdraw_fund(None, fund, "撤回")
    funds.withdraw_line(None, line, "项目调整")
    funds.withdraw_fund(None, fund, "文件作废")
    assert fund.state == "withdrawn" and totals(COUNTY) == (0, 0, 0)
    assert ledger.verify().ok


BAD_FIELDS = [
    ("region_code", "999999999999", "不存在"), ("region_code", "4501", "12 位"),
    ("issued_on", date(1999, 12, 31), "下达日期"), ("issued_on", date(2099, 1, 1), "下达日期"),
    ("year", 1900, "年度"), ("source_level", "火星", "来源"), ("name", "  ", "请填写"),
    ("name", "名" * 201, "200"), ("purpose", "用途\x00", "无效字符"),
    ("amount", Decimal("-1"), "负数"), ("amount", Decimal("0"), "大于 0"),
    ("amount", Decimal("NaN"), "格式"), ("amount", Decimal("1.001"), "两位小数"),
]


def test_bad_fields_are_refused_in_chinese_and_nothing_is_stored(
        regions: dict[str, str]) -> None:
    for field, value, message in BAD_FIELDS:
        with pytest.raises(RecordError) as caught:
            funds.create_fund(None, fund_fields(**{field: value}))
        assert message in caught.value.message, field
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Fund)) == 0


def test_staff_of_another_county_cannot_touch_the_fund(funded: Setup, other_staff,
                                                       staff) -> None:
    with pytest.raises(PermissionDenied):
        funds.create_fund(other_staff, fund_fields())
    with pytest.raises(PermissionDenied):
        funds.correct_fund(other_staff, funded.fund, fund_fields(amount=Decimal(5)), "x")
    with pytest.raises(PermissionDenied):
        spend_as(other_staff, funded.fund)
    spend_as(staff, funded.fund)


def spend_as(user, fund: Fund) -> Spending:
    return funds.record_spending(user, fund, funds.SpendingFields(
        amount=Decimal("1"), paid_on=date(2020, 6, 1), payee="示范单位"))


def test_verify_names_the_entry_of_a_row_changed_behind_the_sites_back(funded: Setup) -> None:
    spend(funded.fund, "1000.00", funded.project.id)
    report = ledger.verify()
    assert report.ok and report.entries == 4 and report.records == 4
    fund_entry = db.session.scalar(select(LedgerEntry.seq).where(
        LedgerEntry.record_type == "fund"))
    db.session.execute(text("UPDATE fund SET name = '改过的名字' WHERE id = :id"),
                       {"id": funded.fund.id})
    db.session.commit()
    report = ledger.verify()
    assert not report.ok and report.first.seq == fund_entry
    assert "改过的名字" in report.first.message


def test_concurrent_spending_cannot_overspend(app, funded: Setup) -> None:
    """Eight requests at once each try to spend 60,000 of the project's 300,000 line: exactly
    five succeed, whatever the interleaving, on SQLite and on PostgreSQL."""
    fund_id, project_id = funded.fund.id, funded.project.id
    db.session.commit()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        with app.app_context():
            fund = db.session.get(Fund, fund_id)
            barrier.wait()
            try:
                spend(fund, "60000.00", project_id)
                result = "ok"
            except RecordError:
                result = "refused"
            except Exception as exc:  # noqa: BLE001  (reported below)
                result = f"error {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok"] * 5 + ["refused"] * 3, outcomes
    db.session.expire_all()
    line = db.session.scalar(select(FundLine))
    assert line.spent == line.amount == Decimal("300000.00")
    assert db.session.get(Fund, fund_id).spent == Decimal("300000.00")
    assert ledger.verify().ok


def test_timeliness_counts_late_and_overdue_records(regions: dict[str, str], app) -> None:
    from sunshine.funds.queries import timeliness

    on_time = make_fund(issued_on=date(2020, 3, 2))
    late = make_fund(publish=False, issued_on=date(2020, 3, 2),
                     document_number="桂财农〔2020〕13号")
    late.deadline = date(2020, 3, 17)
    db.session.commit()
    result = timeliness(Fund, date(2020, 6, 1), COUNTY)[COUNTY]
    assert (result.due, result.on_time, result.overdue_drafts) == (2, 0, 1)
    on_time.published_on = date(2020, 3, 10)
    db.session.commit()
    assert timeliness(Fund, date(2020, 6, 1), COUNTY)[COUNTY].rate == Decimal("50.0")
