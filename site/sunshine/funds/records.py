"""What of each fund record is public, and so goes into the hash chain. Each function takes
the model or, when a batch is published in bulk, its columns as a ``SimpleNamespace``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sunshine.funds.models import Fund, FundLine, Spending
from sunshine.records.ledger import RecordType, iso
from sunshine.records.money import money_text


def fund_data(fund: Fund | SimpleNamespace) -> dict[str, Any]:
    return {"year": fund.year, "name": fund.name, "document_number": fund.document_number,
            "issuer": fund.issuer, "source_level": fund.source_level,
            "fund_type": fund.fund_type, "amount": money_text(fund.amount),
            "region_code": fund.region_code, "purpose": fund.purpose,
            "issued_on": iso(fund.issued_on), "state": fund.state}


def line_data(line: FundLine | SimpleNamespace) -> dict[str, Any]:
    return {"fund_id": line.fund_id, "region_code": line.region_code,
            "project_id": line.project_id, "amount": money_text(line.amount),
            "purpose": line.purpose, "state": line.state}


def spending_data(spending: Spending | SimpleNamespace) -> dict[str, Any]:
    return {"fund_id": spending.fund_id, "line_id": spending.line_id,
            "project_id": spending.project_id, "amount": money_text(spending.amount),
            "paid_on": iso(spending.paid_on), "payee": spending.payee,
            "purpose": spending.purpose, "voucher": spending.voucher, "state": spending.state}


#: Registered on the app by the feature's ``init_app``.
RECORD_TYPES = (
    RecordType("fund", "资金下达", Fund, fund_data, lambda f: f"/funds/{f.id}"),
    RecordType("line", "资金分配", FundLine, line_data, lambda line: f"/funds/{line.fund_id}"),
    RecordType("spending", "资金支出", Spending, spending_data, lambda s: f"/funds/{s.fund_id}"),
)
