"""Allocations, their lines and spending: drafts, publishing, corrections and withdrawals.

Rules that hold whatever the caller (form, import, command line):
- amounts are exact and never negative; a line or a spending never exceeds what is left of
  its parent. The check is a conditional UPDATE (``... WHERE spent + :x <= amount``) on the
  parent row, which locks it, so two requests at once cannot overspend; CHECK constraints in
  the database stand behind it.
- a published record is never edited silently: a correction is a new version with a reason,
  and every publish, correction and withdrawal appends an entry to the hash chain.
- locks are always taken in the same order: fund, line, project, summary rows, then the chain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import update

from sunshine import pagecache
from sunshine.accounts.models import User
from sunshine.audit import record
from sunshine.clock import today
from sunshine.database import rowcount, utcnow
from sunshine.extensions import db
from sunshine.funds import indexing
from sunshine.funds.models import FUND_TYPES, SOURCE_LEVELS, Fund, FundTotal
from sunshine.funds.records import fund_data

# Lines and spending live in spending.py; callers may use this one module for all of it.
from sunshine.funds.spending import (  # noqa: F401
    SpendingFields,
    add_line,
    correct_spending,
    record_spending,
    withdraw_line,
    withdraw_spending,
)
from sunshine.guard import check_publishable
from sunshine.notify.events import announce
from sunshine.records import ledger, rollup
from sunshine.records.checks import (
    RecordError,
    amount,
    check_date,
    check_year,
    clean_text,
    in_scope,
    known_region,
)
from sunshine.records.deadlines import config_deadline
from sunshine.records.models import State

log = logging.getLogger(__name__)
FundError = RecordError
PUBLISHED = State.PUBLISHED.value


@dataclass
class FundFields:
    year: int
    name: str
    document_number: str
    issuer: str
    source_level: str
    fund_type: str
    amount: Decimal
    region_code: str
    purpose: str
    issued_on: date


def validate_fund(fields: FundFields) -> FundFields:
    """Check and tidy every field. :raise FundError: naming the field."""
    fields.name = clean_text(fields.name, "name", "资金名称", 200)
    fields.document_number = clean_text(fields.document_number, "document_number", "文号", 100)
    fields.issuer = clean_text(fields.issuer, "issuer", "下达单位", 100)
    fields.purpose = clean_text(fields.purpose, "purpose", "资金用途", 1000, required=False,
                                multiline=True)
    if fields.source_level not in SOURCE_LEVELS:
        raise FundError(f"资金来源层级应为：{'、'.join(SOURCE_LEVELS)}", "source_level")
    if fields.fund_type not in FUND_TYPES:
        raise FundError(f"资金类型应为：{'、'.join(FUND_TYPES)}", "fund_type")
    fields.amount = amount(fields.amount)
    fields.region_code = known_region(fields.region_code).code
    check_year(fields.year)
    check_date(fields.issued_on, "issued_on", "下达日期", latest=today())
    if abs(fields.issued_on.year - fields.year) > 1:
        raise FundError("下达日期与资金年度相差超过一年，请核对", "issued_on")
    return fields


def _apply(fund: Fund, fields: FundFields) -> None:
    for name in ("year", "name", "document_number", "issuer", "source_level", "fund_type",
                 "amount", "region_code", "purpose", "issued_on"):
        setattr(fund, name, getattr(fields, name))
    fund.city_code, fund.county_code = rollup.city_and_county(fields.region_code)
    fund.deadline = config_deadline(fields.issued_on, "FUNDS")
    fund.updated_at = utcnow()


def _guard_fund(fields: FundFields | Fund) -> None:
    check_publishable(fields.name, fields.document_number, fields.issuer, fields.purpose)


def _totals(fund: Fund, sign: int, spent: Decimal | None = None) -> None:
    """Add (sign 1) or remove (sign -1) a published fund from the summary table."""
    rollup.apply(FundTotal, {"year": fund.year, "source_level": fund.source_level,
                             "fund_type": fund.fund_type}, fund.region_code,
                 {"allocated": sign * fund.amount,
                  "spent": sign * (fund.spent if spent is None else spent), "funds": sign})


# --- allocations ------------------------------------------------------------------------------


def create_fund(actor: User | None, fields: FundFields) -> Fund:
    """A draft allocation, not public until published.

    :raise FundError: a field is wrong. :raise PermissionDenied: outside the actor's region.
    """
    validate_fund(fields)
    in_scope(actor, fields.region_code)
    fund = Fund(state=State.DRAFT.value, version=0)
    _apply(fund, fields)
    db.session.add(fund)
    db.session.flush()
    ledger.touch()
    pagecache.changed("funds", fund.region_code)
    record("fund_created", actor, "fund", fund.id, fund.region_code, fund.name)
    db.session.commit()
    return fund


def update_draft(actor: User | None, fund: Fund, fields: FundFields) -> Fund:
    in_scope(actor, fund.region_code)
    if fund.state != State.DRAFT.value:
        raise FundError("已公开的资金不能直接修改，请提交更正并说明原因")
    validate_fund(fields)
    in_scope(actor, fields.region_code)
    pagecache.changed("funds", fund.region_code, fields.region_code)
    _apply(fund, fields)
    ledger.touch()
    record("fund_updated", actor, "fund", fund.id, fund.region_code, fund.name)
    db.session.commit()
    return fund


def publish_fund(actor: User | None, fund: Fund) -> Fund:
    """Make a draft public: the summary, the chain and the search index learn of it.

    :raise PersonalDataFound: a text holds an ID, mobile or bank card number.
    """
    in_scope(actor, fund.region_code)
    if fund.state != State.DRAFT.value:
        raise FundError("只有草稿可以公开")
    _guard_fund(fund)
    changed = rowcount(db.session.execute(
        update(Fund).where(Fund.id == fund.id, Fund.state == State.DRAFT.value)
        .values(state=PUBLISHED, version=1, published_on=today(), updated_at=utcnow())
        .execution_options(synchronize_session=False)))
    if not changed:
        db.session.rollback()
        raise FundError("这笔资金刚被其他人公开或修改，请刷新后再试")
    db.session.refresh(fund)
    _totals(fund, 1)
    ledger.append(ledger.Pending("fund", fund.id, 1, "publish", fund_data(fund)))
    pagecache.changed("funds", fund.region_code)
    record("fund_published", actor, "fund", fund.id, fund.region_code, fund.name)
    announce(f"资金下达公开：{fund.name}", f"/funds/{fund.id}", region_code=fund.region_code)
    indexing.reindex_funds([fund])
    db.session.commit()
    return fund


def correct_fund(actor: User | None, fund: Fund, fields: FundFields, reason: str) -> Fund:
    """A new public version with a reason; the old one stays in the chain and on the page.

    :raise FundError: no reason, nothing changed, or an amount below what is lined or spent.
    """
    in_scope(actor, fund.region_code)
    if fund.state != PUBLISHED:
        raise FundError("只有已公开的资金可以更正")
    reason = clean_text(reason, "reason", "更正原因", 300)
    validate_fund(fields)
    in_scope(actor, fields.region_code)
    _guard_fund(fields)
    preview = Fund(state=fund.state)
    _apply(preview, fields)
    if fund_data(preview) == fund_data(fund):
        raise FundError("内容没有变化，无需更正")
    old_keys = {"year": fund.year, "source_level": fund.source_level, "fund_type": fund.fund_type}
    old_region, old_amount = fund.region_code, fund.amount
    if fields.region_code != fund.region_code and (fund.lined or fund.spent):
        raise FundError("已有分配或支出的资金不能更改接收地区；请先撤回分配和支出", "region_code")
    # The row lock and the rule in one statement: the new amount must still cover what is
    # lined and spent at the moment of the change.
    changed = rowcount(db.session.execute(
        update(Fund).where(Fund.id == fund.id, Fund.state == PUBLISHED,
                           Fund.version == fund.version, Fund.lined <= fields.amount,
                           Fund.spent <= fields.amount)
        .values(amount=fields.amount, version=Fund.version + 1)
        .execution_options(synchronize_session=False)))
    if not changed:
        db.session.rollback()
        db.session.refresh(fund)
        floor = max(fund.lined, fund.spent)
        if fields.amount < floor:
            raise FundError(f"更正后的金额不能少于已分配或已支出的 {floor} 元", "amount")
        raise FundError("这笔资金刚被其他人更正，请刷新后再试")
    db.session.refresh(fund)
    spent = fund.spent
    rollup.apply(FundTotal, old_keys, old_region,
                 {"allocated": -old_amount, "spent": -spent, "funds": -1})
    _apply(fund, fields)
    fund.note = reason
    db.session.flush()
    _totals(fund, 1)
    ledger.append(ledger.Pending("fund", fund.id, fund.version, "correct", fund_data(fund), reason))
    pagecache.changed("funds", fund.region_code, old_region)
    record("fund_corrected", actor, "fund", fund.id, fund.region_code, reason)
    indexing.reindex_funds([fund])
    db.session.commit()
    return fund


def withdraw_fund(actor: User | None, fund: Fund, reason: str) -> Fund:
    """Take an allocation out of the totals; its page and history stay, marked 已撤回."""
    in_scope(actor, fund.region_code)
    reason = clean_text(reason, "reason", "撤回原因", 300)
    if fund.state != PUBLISHED:
        raise FundError("只有已公开的资金可以撤回")
    changed = rowcount(db.session.execute(
        update(Fund).where(Fund.id == fund.id, Fund.state == PUBLISHED, Fund.lined == 0,
                           Fund.spent == 0)
        .values(state=State.WITHDRAWN.value, version=Fund.version + 1, note=reason,
                updated_at=utcnow())
        .execution_options(synchronize_session=False)))
    if not changed:
        db.session.rollback()
        raise FundError("请先撤回这笔资金的分配和支出记录", "reason")
    db.session.refresh(fund)
    _totals(fund, -1, spent=Decimal(0))
    pagecache.changed("funds", fund.region_code)
    ledger.append(ledger.Pending("fund", fund.id, fund.version, "withdraw", fund_data(fund),
                                 reason))
    record("fund_withdrawn", actor, "fund", fund.id, fund.region_code, reason)
    indexing.reindex_funds([fund])
    db.session.commit()
    return fund
