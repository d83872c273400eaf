"""The projects endpoints of /api/v1/openapi.json."""

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
from sunshine.projects.models import ALL_STAGES, CATEGORIES

PROJECT = obj({
    "id": {"type": "integer"}, "name": {"type": "string"},
    "category": {"type": "string", "enum": CATEGORIES},
    "stage": {"type": "string", "enum": ALL_STAGES},
    "stage_reason": {"type": ["string", "null"], "description": "终止原因"},
    "year": {"type": "integer"}, "region": REGION_REF,
    "budget": MONEY, "funded": {**MONEY, "description": "已落实的资金"}, "spent": MONEY,
    "implementing_unit": {"type": "string"},
    "responsible_role": {"type": "string", "description": "责任人职务"},
    "summary": {"type": "string", "description": "建设内容"},
    "targets": {"type": "string", "description": "绩效目标"},
    "mechanism": {"type": "string", "description": "带贫减贫机制"},
    "beneficiaries": obj({"households": {"type": "integer"}, "people": {"type": "integer"},
                          "poor_households": {"type": "integer"}}),
    "approved_on": nullable(DATE), "planned_start": nullable(DATE),
    "planned_end": nullable(DATE), "actual_start": nullable(DATE),
    "actual_end": nullable(DATE),
    "state": {"type": "string", "enum": ["published", "withdrawn"]},
    "version": {"type": "integer"}, "url": URL})

PROJECT_DETAIL = obj({
    **PROJECT["properties"],
    "updates": {"type": "array", "items": obj(
        {"on": DATE, "stage": {"type": "string"}, "text": {"type": "string"}})},
    "sources": {"type": "array", "description": "资金来源", "items": obj({
        "fund_id": {"type": "integer"}, "fund": {"type": "string"},
        "document_number": {"type": "string"}, "amount": MONEY, "spent": MONEY})},
    "spending": {"type": "array", "items": obj({
        "id": {"type": "integer"}, "fund_id": {"type": "integer"}, "amount": MONEY,
        "paid_on": DATE, "payee": {"type": "string"}, "purpose": {"type": "string"}})},
    "history": {"type": "array", "items": VERSION}})

PATHS: dict[str, Any] = {
    "/api/v1/projects": list_op("扶贫项目列表", PROJECT, [
        query("region", CODE, "区划及其下级"),
        query("year", {"type": "integer", "minimum": 2000, "maximum": 2100}),
        query("category", {"type": "string", "enum": CATEGORIES}),
        query("stage", {"type": "string", "enum": ALL_STAGES})]),
    "/api/v1/projects/{id}": detail_op("一个项目：进展、资金来源、支出和历史版本",
                                       PROJECT_DETAIL, ID),
}
