"""The funds and projects endpoints of /api/v1/openapi.json (added to ``api.openapi.PATHS``)."""

from __future__ import annotations

from typing import Any

from sunshine.api.openapi import ERROR

MONEY = {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$", "description": "元，两位小数"}
DATE = {"type": "string", "format": "date"}
REGION_REF = {"type": "object", "properties": {"code": {"type": "string"},
                                               "name": {"type": "string"}}}


def _list(summary: str, item: dict[str, Any], params: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                        "maximum": 100}},
        {"name": "region", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{12}$"}},
        {"name": "year", "in": "query", "schema": {"type": "integer"}}, *params],
        "responses": {"200": {"description": summary, "content": {"application/json": {
            "schema": {"type": "object", "required": ["items", "page", "per_page", "total"],
                       "properties": {"items": {"type": "array", "items": item},
                                      "page": {"type": "integer"},
                                      "per_page": {"type": "integer"},
                                      "total": {"type": "integer"}}}}}}}}}


def _one(summary: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": summary,
                              "content": {"application/json": {"schema": item}}},
                      "404": ERROR}}}


FUND = {"type": "object", "properties": {
    "id": {"type": "integer"}, "year": {"type": "integer"}, "name": {"type": "string"},
    "document_number": {"type": "string"}, "issuer": {"type": "string"},
    "source_level": {"type": "string", "enum": ["中央", "省", "市", "县", "社会帮扶"]},
    "fund_type": {"type": "string"}, "amount": MONEY, "lined": MONEY, "spent": MONEY,
    "balance": MONEY, "region": REGION_REF, "purpose": {"type": "string"},
    "issued_on": DATE, "published_on": DATE, "deadline": DATE,
    "state": {"type": "string", "enum": ["published", "withdrawn"]},
    "version": {"type": "integer"}, "url": {"type": "string"}}}

PROJECT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "category": {"type": "string"},
    "stage": {"type": "string", "enum": ["申报", "审批", "实施", "完工", "验收", "终止"]},
    "year": {"type": "integer"}, "region": REGION_REF, "budget": MONEY, "funded": MONEY,
    "spent": MONEY, "implementing_unit": {"type": "string"},
    "responsible_role": {"type": "string"},
    "beneficiaries": {"type": "object", "properties": {
        "households": {"type": "integer"}, "people": {"type": "integer"},
        "poor_households": {"type": "integer"}}},
    "approved_on": DATE, "planned_start": DATE, "planned_end": DATE, "actual_start": DATE,
    "actual_end": DATE, "state": {"type": "string"}, "version": {"type": "integer"},
    "url": {"type": "string"}}}

FUND_PATHS: dict[str, Any] = {
    "/api/v1/funds": _list("资金下达列表", FUND, [
        {"name": "level", "in": "query", "schema": {"type": "string"}},
        {"name": "type", "in": "query", "schema": {"type": "string"}}]),
    "/api/v1/funds/{id}": _one("一笔资金：分配、支出和历史版本", FUND),
    "/api/v1/projects": _list("扶贫项目列表", PROJECT, [
        {"name": "category", "in": "query", "schema": {"type": "string"}},
        {"name": "stage", "in": "query", "schema": {"type": "string"}}]),
    "/api/v1/projects/{id}": _one("一个项目：进展、资金来源、支出和历史版本", PROJECT),
}
