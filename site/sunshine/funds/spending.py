"""Lines (分配) and spending (资金支出) of published allocations.

A line or a spending never exceeds what is left of its parent: each draw is a conditional
UPDATE on the parent row (fund, then the project's line), which locks it, so concurrent
requests cannot overspend; the database's CHECK constraints stand behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from sunshine import pagecache
from sunshine.accounts.models import User
from sunshine.audit import record
from sunshine.clock import today
from sunshine.database import rowcount
from sunshine.extensions import db
from sunshine.funds.models import Fund, FundLine, FundTotal, Spending
from sunshine.funds.records import line_data, spending_data
from sunshine.guard import check_publishable
from sunshine.projects.models import Project
from sunshine.projects.services import funding_changed
from sunshine.records import ledger, rollup
from sunshine.records.checks import (
    RecordError,
    amount,
    check_date,
    clean_text,
    in_scope,
    known_region,
)
from sunshine.records.models import State
from sunshine.regions import codes

FundError = RecordError
PUBLISHED = State.PUBLISHED.value


@dataclass
class SpendingFields:
    amount: Decimal
    paid_on: date
    payee: str
    purpose: str = ""
    voucher: str = ""
    project_id: int | None = None


# --- lines --------------------------------------------------------------------------------------


def _remaining(column: Any, limit: Any, row_id: int, model: Any) -> Decimal:
    used, total = db.session.execute(select(column, limit).where(model.id == row_id)).one()
    return total - used


def add_line(actor: User | None, fund: Fund, region_code: str | None, project_id: int | None,
             value: Decimal, purpose: str = "") -> FundLine:
    """Assign part of a published allocation to a lower region or to a project.

    :raise FundError: more than what is left unassigned, or a target outside the fund's region.
    """
    in_scope(actor, fund.region_code)
    if fund.state != PUBLISHED:
        raise FundError("只有已公开的资金可以分配")
    value = amount(value)
    purpose = clean_text(purpose, "purpose", "分配用途", 500, required=False)
    check_publishable(purpose)
    project = None
    if project_id:
        project = db.session.get(Project, project_id)
        if project is None or project.state != PUBLISHED:
            raise FundError("项目不存在或尚未公开", "project_id")
        if project.terminated:
            raise FundError("项目已终止，不能再分配资金", "project_id")
        region_code = project.region_code
    if not region_code:
        raise FundError("请选择分配到的地区或项目", "region_code")
    target = known_region(region_code)
    if not codes.in_subtree(target.code, fund.region_code) or (
            project is None and target.code == fund.region_code):
        raise FundError("只能分配到本资金接收地区的下级地区或其中的项目", "region_code")
    changed = rowcount(db.session.execute(
        update(Fund).where(Fund.id == fund.id, Fund.state == PUBLISHED,
                           Fund.lined + value <= Fund.amount)
        .values(lined=Fund.lined + value).execution_options(synchronize_session=False)))
    if not changed:
        db.session.rollback()
        left = _remaining(Fund.lined, Fund.amount, fund.id, Fund)
        raise FundError(f"超出可分配的余额：这笔资金还可分配 {left} 元", "amount")
    line = FundLine(fund_id=fund.id, region_code=target.code, project_id=project_id or None,
                    amount=value, purpose=purpose, state=PUBLISHED, version=1)
    db.session.add(line)
    if project is not None:
        funding_changed(project, funded=value)
    db.session.flush()
    ledger.append(ledger.Pending("line", line.id, 1, "publish", line_data(line)))
    pagecache.changed("funds", fund.region_code, line.region_code)
    record("fund_line_added", actor, "fund", fund.id, fund.region_code,
           f"{value} 元 → {target.code}")
    db.session.commit()
    db.session.refresh(fund)
    return line


def withdraw_line(actor: User | None, line: FundLine, reason: str) -> FundLine:
    fund = line.fund
    in_scope(actor, fund.region_code)
    reason = clean_text(reason, "reason", "撤回原因", 300)
    changed = rowcount(db.session.execute(
        update(FundLine).where(FundLine.id == line.id, FundLine.state == PUBLISHED,
                               FundLine.spent == 0)
        .values(state=State.WITHDRAWN.value, version=FundLine.version + 1)
        .execution_options(synchronize_session=False)))
    if not changed:
        db.session.rollback()
        raise FundError("这项分配已有支出或已撤回，不能撤回", "reason")
    db.session.execute(update(Fund).where(Fund.id == fund.id)
                       .values(lined=Fund.lined - line.amount)
                       .execution_options(synchronize_session=False))
    db.session.refresh(line)
    if line.project_id:
        funding_changed(db.session.get_one(Project, line.project_id), funded=-line.amount)
    pagecache.changed("funds", fund.region_code, line.region_code)
    ledger.append(ledger.Pending("line", line.id, line.version, "withdraw", line_data(line),
                                 reason))
    record("fund_line_withdrawn", actor, "fund", fund.id, fund.region_code, reason)
    db.session.commit()
    db.session.refresh(fund)
    return line


# --- spending -----------------------------------------------------------------------------------


def validate_spending(fund: Fund, fields: SpendingFields) -> SpendingFields:
    """:raise FundError: a field that the back office would refuse (not the balances)."""
    fields.amount = amount(fields.amount)
    check_date(fields.paid_on, "paid_on", "支出日期", latest=today(), earliest=fund.issued_on)
    fields.payee = clean_text(fields.payee, "payee", "收款单位", 200)
    fields.purpose = clean_text(fields.purpose, "purpose", "支出用途", 500, required=False)
    fields.voucher = clean_text(fields.voucher, "voucher", "凭证号", 64, required=False)
    check_publishable(fields.payee, fields.purpose, fields.voucher)
    return fields


def _draw(fund: Fund, line_id: int | None, value: Decimal) -> None:
    """Take ``value`` from the fund (and the project's line): locked, checked, or refused."""
    changed = rowcount(db.session.execute(
        update(Fund).where(Fund.id == fund.id, Fund.state == PUBLISHED,
                           Fund.spent + value <= Fund.amount)
        .values(spent=Fund.spent + value).execution_options(synchronize_session=False)))
    if not changed:
        # What is left as this transaction sees it (an import's earlier rows included).
        left = _remaining(Fund.spent, Fund.amount, fund.id, Fund)
        db.session.rollback()
        raise FundError(f"超出资金余额：这笔资金还可支出 {left} 元", "amount")
    if line_id is not None:
        changed = rowcount(db.session.execute(
            update(FundLine).where(FundLine.id == line_id, FundLine.state == PUBLISHED,
                                   FundLine.spent + value <= FundLine.amount)
            .values(spent=FundLine.spent + value)
            .execution_options(synchronize_session=False)))
        if not changed:
            left = _remaining(FundLine.spent, FundLine.amount, line_id, FundLine)
            db.session.rollback()
            raise FundError(f"超出分配给这个项目的余额：还可支出 {left} 元", "amount")


def _release(fund: Fund, line_id: int | None, value: Decimal) -> None:
    db.session.execute(update(Fund).where(Fund.id == fund.id).values(spent=Fund.spent - value)
                       .execution_options(synchronize_session=False))
    if line_id is not None:
        db.session.execute(update(FundLine).where(FundLine.id == line_id)
                           .values(spent=FundLine.spent - value)
                           .execution_options(synchronize_session=False))


def _spent_totals(fund: Fund, project_id: int | None, delta: Decimal) -> None:
    rollup.apply(FundTotal, {"year": fund.year, "source_level": fund.source_level,
                             "fund_type": fund.fund_type}, fund.region_code, {"spent": delta})
    if project_id:
        funding_changed(db.session.get_one(Project, project_id), spent=delta)


def _line_for(fund: Fund, project_id: int, value: Decimal) -> int:
    """The fund's line to the project with the most left (a project may have several)."""
    lines = list(db.session.execute(select(FundLine).where(
        FundLine.fund_id == fund.id, FundLine.project_id == project_id,
        FundLine.state == PUBLISHED).order_by(FundLine.id)).scalars())
    if not lines:
        raise FundError("这个项目没有从这笔资金分到钱，请先添加分配", "project_id")
    return max(lines, key=lambda line: (line.amount - line.spent, -line.id)).id


def record_spending(actor: User | None, fund: Fund, fields: SpendingFields,
                    commit: bool = True) -> Spending:
    """A payment out of a published allocation, published at once. ``commit`` false leaves
    the transaction open (an import writes every row in one).

    :raise FundError: more than is left of the fund or of the project's line, or bad fields
        (the transaction is then rolled back when a balance was short).
    """
    in_scope(actor, fund.region_code)
    if fund.state != PUBLISHED:
        raise FundError("只有已公开的资金可以登记支出")
    validate_spending(fund, fields)
    line_id = _line_for(fund, fields.project_id, fields.amount) if fields.project_id else None
    _draw(fund, line_id, fields.amount)
    spending = Spending(fund_id=fund.id, line_id=line_id, project_id=fields.project_id or None,
                        amount=fields.amount, paid_on=fields.paid_on, payee=fields.payee,
                        purpose=fields.purpose, voucher=fields.voucher,
                        region_code=fund.region_code, city_code=fund.city_code,
                        county_code=fund.county_code, state=PUBLISHED, version=1)
    db.session.add(spending)
    _spent_totals(fund, spending.project_id, fields.amount)
    db.session.flush()
    ledger.append(ledger.Pending("spending", spending.id, 1, "publish", spending_data(spending)))
    pagecache.changed("funds", fund.region_code)
    record("fund_spent", actor, "fund", fund.id, fund.region_code, f"{fields.amount} 元")
    if commit:
        db.session.commit()
        db.session.refresh(fund)
    return spending


def correct_spending(actor: User | None, spending: Spending, fields: SpendingFields,
                     reason: str) -> Spending:
    """A new version of a spending record (the project stays; withdraw to move it)."""
    fund = spending.fund
    in_scope(actor, fund.region_code)
    if spending.state != PUBLISHED:
        raise FundError("只有已公开的支出可以更正")
    reason = clean_text(reason, "reason", "更正原因", 300)
    fields.project_id = spending.project_id
    validate_spending(fund, fields)
    if all(getattr(fields, name) == getattr(spending, name)
           for name in ("amount", "paid_on", "payee", "purpose", "voucher")):
        raise FundError("内容没有变化，无需更正")
    delta = fields.amount - spending.amount
    changed = rowcount(db.session.execute(
        update(Spending).where(Spending.id == spending.id, Spending.state == PUBLISHED,
                               Spending.version == spending.version)
        .values(version=Spending.version + 1).execution_options(synchronize_session=False)))
    if not changed:
        db.session.rollback()
        raise FundError("这条支出刚被其他人更正，请刷新后再试")
    if delta > 0:
        _draw(fund, spending.line_id, delta)
    elif delta < 0:
        _release(fund, spending.line_id, -delta)
    db.session.refresh(spending)
    for name in ("amount", "paid_on", "payee", "purpose", "voucher"):
        setattr(spending, name, getattr(fields, name))
    spending.note = reason
    if delta:
        _spent_totals(fund, spending.project_id, delta)
    db.session.flush()
    pagecache.changed("funds", fund.region_code)
    ledger.append(ledger.Pending("spending", spending.id, spending.version, "correct",
                                 spending_data(spending), reason))
    record("fund_spending_corrected", actor, "fund", fund.id, fund.region_code, reason)
    db.session.commit()
    db.session.refresh(fund)
    return spending


def withdraw_spending(actor: User | None, spending: Spending, reason: str) -> Spending:
    fund = spending.fund
    in_scope(actor, fund.region_code)
    reason = clean_text(reason, "reason", "撤回原因", 300)
    changed = rowcount(db.session.execute(
        update(Spending).where(Spending.id == spending.id, Spending.state == PUBLISHED)
        .values(state=State.WITHDRAWN.value, version=Spending.version + 1, note=reason)
        .execution_options(synchronize_session=False)))
    if not changed:
        db.session.rollback()
        raise FundError("这条支出已撤回", "reason")
    _release(fund, spending.line_id, spending.amount)
    _spent_totals(fund, spending.project_id, -spending.amount)
    db.session.refresh(spending)
    pagecache.changed("funds", fund.region_code)
    ledger.append(ledger.Pending("spending", spending.id, spending.version, "withdraw",
                                 spending_data(spending), reason))
    record("fund_spending_withdrawn", actor, "fund", fund.id, fund.region_code, reason)
    db.session.commit()
    db.session.refresh(fund)
    return spending
