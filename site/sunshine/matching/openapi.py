"""The needs endpoints of /api/v1/openapi.json: never the household, its members or a donor's
contact."""

from __future__ import annotations

from typing import Any

from sunshine.api.openapi import (
    CODE,
    DATE,
    DATETIME,
    ID,
    MONEY,
    URL,
    detail_op,
    list_op,
    nullable,
    obj,
    query,
)
from sunshine.matching.models import CATEGORIES, URGENCY
from sunshine.matching.queries import STATE_CHOICES

COUNTS = obj({"needed": {"type": "integer"}, "pledged": {"type": "integer"},
              "remaining": {"type": "integer"}})

NEED = obj({
    "id": {"type": "integer"}, "title": {"type": "string"},
    "category": {"type": "string", "enum": CATEGORIES},
    "region": obj({"code": CODE, "name": {"type": "string"},
                   "place": {"type": "string", "description": "省市县乡村全称"}},
                  description="受助户所在村（只公开到村）"),
    "urgency": {"type": "integer", "enum": list(URGENCY), "description": "1 最紧急"},
    "urgency_label": {"type": "string"}, "deadline": DATE,
    "state": {"type": "string"}, "state_label": {"type": "string"},
    "kind": {"type": "string", "enum": ["items", "amount"]},
    "progress_percent": {"type": "integer", "minimum": 0},
    "published": nullable(DATETIME), "url": URL,
    "amount": {**obj({"needed": MONEY, "pledged": MONEY, "remaining": MONEY}),
               "description": "资金需求（kind 为 amount）：所需、已认领、还需（元）"},
    "items": {"type": "array", "description": "物品需求（kind 为 items）", "items": obj({
        "id": {"type": "integer"}, "name": {"type": "string"}, "unit": {"type": "string"},
        "needed": {"type": "integer"}, "pledged": {"type": "integer"},
        "remaining": {"type": "integer"}, "estimated_price": nullable(MONEY)})},
    "quantity": {**COUNTS, "description": "物品需求：件数合计"}},
    required=["id", "title", "category", "region", "urgency", "urgency_label", "deadline",
              "state", "state_label", "kind", "progress_percent", "published", "url"])

NEED_DETAIL = obj({
    **NEED["properties"],
    "story_html": {"type": "string"},
    "thanks": {"type": ["string", "null"], "description": "受助方的感谢"},
    "photos": {"type": "array", "items": URL},
    "pledges": {"type": "array", "items": obj({
        "donor": {"type": "string", "description": "捐赠人自选的公开名称"},
        "item": {"type": "string"}, "state": {"type": "string"},
        "state_label": {"type": "string"},
        "quantity": {"anyOf": [{"type": "integer"}, MONEY]}, "at": DATETIME})},
    "history": {"type": "array", "items": obj({"at": DATETIME, "text": {"type": "string"}})}},
    required=[*NEED["required"], "story_html", "thanks", "photos", "pledges", "history"])

PATHS: dict[str, Any] = {
    "/api/v1/needs": list_op("爱心帮扶：公开的帮扶需求（最紧急、截止日期最近的在前）", NEED, [
        query("category", {"type": "string", "enum": CATEGORIES}),
        query("region", CODE, "区划及其下级"),
        query("urgency", {"type": "integer", "enum": list(URGENCY)}),
        query("state", {"type": "string", "enum": [s for s in STATE_CHOICES if s]},
              "默认只列进行中的；all：全部")]),
    "/api/v1/needs/{id}": detail_op("一项帮扶需求：所需、已认领、还需，认领和公开记录",
                                    NEED_DETAIL, ID),
}
