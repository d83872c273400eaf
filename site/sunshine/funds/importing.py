"""``sunshine import funds FILE.csv``: published allocations, all-or-nothing; and
``sunshine import spending FILE.csv``: payments out of published allocations.

The allocations' columns: year, name, document_number, issuer, source_level, fund_type,
amount, region_code, issued_on, and optionally purpose and published_on (spending: see
``import_spending``). Every row is checked with the same rules as
the back office; errors name the line; nothing is written unless every row is good and
``--confirm`` is given. Imported rows are published (appended to the hash chain) in one
transaction.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from sunshine.clock import today
from sunshine.extensions import db
from sunshine.funds import bulk, services, spending
from sunshine.funds.models import Fund
from sunshine.guard import PersonalDataFound, check_publishable
from sunshine.importing import ImportReport, read_csv_rows
from sunshine.records.checks import RecordError, parse_date, parse_int
from sunshine.records.models import State
from sunshine.records.money import AmountError, parse_amount

REQUIRED = {"year", "name", "document_number", "issuer", "source_level", "fund_type", "amount",
            "region_code", "issued_on"}


def import_funds(path: Path, confirm: bool = False) -> ImportReport:
    report = ImportReport(kind="funds", confirmed=confirm)
    batch = bulk.Batch()
    seen: set[tuple[str, str]] = set()
    for line, row in read_csv_rows(path, REQUIRED):
        report.rows += 1
        try:
            fields = services.FundFields(
                year=parse_int(row["year"], "年度", 4), name=row["name"],
                document_number=row["document_number"], issuer=row["issuer"],
                source_level=row["source_level"], fund_type=row["fund_type"],
                amount=parse_amount(row["amount"]), region_code=row["region_code"],
                purpose=row.get("purpose", ""), issued_on=parse_date(row["issued_on"], "下达日期"))
            services.validate_fund(fields)
            check_publishable(fields.name, fields.document_number, fields.issuer, fields.purpose)
            published = row.get("published_on", "")
            published_on = parse_date(published, "公开日期") if published else today()
            if not fields.issued_on <= published_on <= today():
                raise RecordError("公开日期应在下达日期和今天之间")
        except (RecordError, AmountError, PersonalDataFound) as exc:
            report.error(line, getattr(exc, "message", str(exc)))
            continue
        key = (fields.document_number, fields.region_code)
        if key in seen:
            report.error(line, f"文号 {fields.document_number} 在同一地区重复")
            continue
        seen.add(key)
        batch.funds.append({**fields.__dict__, "published_on": published_on})
    report.created = len(batch.funds)
    if report.ok and confirm:
        try:
            bulk.publish(batch)
        except RecordError as exc:
            db.session.rollback()
            report.error(0, exc.message)
            return report
        db.session.commit()
    else:
        db.session.rollback()
    return report


# --- spending ---------------------------------------------------------------------------------

SPENDING_REQUIRED = {"document_number", "region_code", "amount", "paid_on", "payee"}


def _published_fund(document_number: str, region_code: str) -> Fund:
    """The one published allocation with this document number received by this region."""
    found = list(db.session.execute(select(Fund).where(
        Fund.document_number == document_number.strip(), Fund.region_code == region_code.strip(),
        Fund.state == State.PUBLISHED.value)).scalars())
    if not found:
        raise RecordError(f"找不到已公开的资金：文号 {document_number}（地区 {region_code}）")
    if len(found) > 1:
        raise RecordError(f"文号 {document_number} 在地区 {region_code} 有 {len(found)} 笔资金，"
                          "请在后台逐笔登记支出")
    return found[0]


def import_spending(path: Path, confirm: bool = False) -> ImportReport:
    """Columns: document_number and region_code (the allocation paid from), amount, paid_on,
    payee, and optionally purpose, voucher and project_id (a project the allocation funds).

    Every row is checked first with the back office's rules; then the rows are recorded in
    order in one transaction, the balances of funds and project lines drawn as the back office
    draws them. Nothing is written unless every row is good and ``--confirm`` is given; a dry
    run records and rolls back, so that it finds overdrawn balances too.
    """
    report = ImportReport(kind="spending", confirmed=confirm)
    checked: list[tuple[int, int, spending.SpendingFields]] = []
    for line, row in read_csv_rows(path, SPENDING_REQUIRED):
        report.rows += 1
        try:
            fund = _published_fund(row["document_number"], row["region_code"])
            project = row.get("project_id", "")
            fields = spending.validate_spending(fund, spending.SpendingFields(
                amount=parse_amount(row["amount"]), paid_on=parse_date(row["paid_on"], "支出日期"),
                payee=row["payee"], purpose=row.get("purpose", ""), voucher=row.get("voucher", ""),
                project_id=parse_int(project, "项目编号") if project else None))
        except (RecordError, AmountError, PersonalDataFound) as exc:
            report.error(line, getattr(exc, "message", str(exc)))
            continue
        checked.append((line, fund.id, fields))
    if report.ok:
        for line, fund_id, fields in checked:
            try:
                spending.record_spending(None, db.session.get_one(Fund, fund_id), fields,
                                         commit=False)
            except RecordError as exc:
                db.session.rollback()
                report.error(line, f"{exc.message}（按文件中的顺序计算余额）")
                break
        report.created = len(checked) if report.ok else 0
    if report.ok and confirm:
        db.session.commit()
    else:
        db.session.rollback()
    return report
