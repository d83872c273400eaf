"""The funds endpoints of /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from sunshine.api.openapi import (
    CODE,
    DATE,
    ID,
    MONEY,
    REGION_REF,
    URL,
    VERSION,
    detail_op,
    list_op,
    nullable,
    obj,
    query,
)
from sunshine.funds.models import FUND_TYPES, SOURCE_LEVELS

FUND = obj({
    "id": {"type": "integer"}, "year": {"type": "integer"}, "name": {"type": "string"},
    "document_number": {"type": "string", "description": "下达文号"},
    "issuer": {"type": "string"},
    "source_level": {"type": "string", "enum": SOURCE_LEVELS},
    "fund_type": {"type": "string", "enum": FUND_TYPES},
    "amount": MONEY, "lined": {**MONEY, "description": "已分配到地区和项目"},
    "spent": MONEY, "balance": MONEY, "region": REGION_REF, "purpose": {"type": "string"},
    "issued_on": DATE, "published_on": nullable(DATE),
    "deadline": {**DATE, "description": "公开期限"},
    "state": {"type": "string", "enum": ["published", "withdrawn"]},
    "version": {"type": "integer"}, "url": URL})

LINE = obj({
    "id": {"type": "integer"}, "region": REGION_REF,
    "project_id": {"type": ["integer", "null"]}, "amount": MONEY, "spent": MONEY,
    "purpose": {"type": "string"}})

SPENDING = obj({
    "id": {"type": "integer"}, "project_id": {"type": ["integer", "null"]}, "amount": MONEY,
    "paid_on": DATE, "payee": {"type": "string"}, "purpose": {"type": "string"},
    "voucher": {"type": "string"}, "version": {"type": "integer"}})

FUND_DETAIL = obj({
    **FUND["properties"],
    "lines": {"type": "array", "items": LINE},
    "spending": {"type": "array", "items": SPENDING, "description": "最近的 100 笔支出"},
    "spending_count": {"type": "integer"},
    "history": {"type": "array", "items": VERSION}})

PATHS: dict[str, Any] = {
    "/api/v1/funds": list_op("资金下达列表（新的在前）", FUND, [
        query("region", CODE, "区划及其下级"),
        query("year", {"type": "integer", "minimum": 2000, "maximum": 2100}),
        query("level", {"type": "string", "enum": SOURCE_LEVELS}, "资金来源层级"),
        query("type", {"type": "string", "enum": FUND_TYPES}, "资金类型")]),
    "/api/v1/funds/{id}": detail_op("一笔资金：分配、支出和历史版本", FUND_DETAIL, ID),
}
