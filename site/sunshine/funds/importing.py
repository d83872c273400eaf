"""``sunshine import funds FILE.csv``: published allocations, all-or-nothing.

Columns: year, name, document_number, issuer, source_level, fund_type, amount, region_code,
issued_on, and optionally purpose and published_on. Every row is checked with the same rules as
the back office; errors name the line; nothing is written unless every row is good and
``--confirm`` is given. Imported rows are published (appended to the hash chain) in one
transaction.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sunshine.extensions import db
from sunshine.funds import bulk, services
from sunshine.funds.common import RecordError, today
from sunshine.funds.money import AmountError, parse_amount
from sunshine.guard import PersonalDataFound, check_publishable
from sunshine.importing import ImportReport, read_csv_rows, register_importer

REQUIRED = {"year", "name", "document_number", "issuer", "source_level", "fund_type", "amount",
            "region_code", "issued_on"}


def parse_date(text: str, label: str) -> date:
    try:
        if not text.isascii():
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise RecordError(f"{label}应为 2024-06-01 这样的日期") from None


def parse_int(text: str, label: str, digits: int = 8) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= digits):
        raise RecordError(f"{label}应为半角数字")
    return int(text)


@register_importer("funds")
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
