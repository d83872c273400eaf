"""The news and policy endpoints of /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from sunshine.api.openapi import (
    CODE,
    DATE,
    DATETIME,
    REGION_REF,
    URL,
    list_op,
    nullable,
    obj,
    query,
)
from sunshine.content.models import LEVELS, NEWS_CATEGORIES, POLICY_TOPICS

ARTICLE = obj({
    "slug": {"type": "string"}, "title": {"type": "string"}, "summary": {"type": "string"},
    "date": {**DATE, "description": "发布日期"},
    "expires": {**nullable(DATE), "description": "政策失效日期"},
    "category": {"type": "string", "description": "动态类别或政策主题"},
    "level": {"type": "string", "enum": LEVELS}, "region": REGION_REF,
    "issuer": {"type": "string"}, "document_number": {"type": "string"},
    "tags": {"type": "array", "items": {"type": "string"}}, "url": URL,
    "updated": {**nullable(DATETIME), "description": "发布后最近一次修改"}})


def _filters(key: str, values: list[str]) -> list[dict[str, Any]]:
    return [query(key, {"type": "string", "enum": values}),
            query("level", {"type": "string", "enum": LEVELS}, "发文层级"),
            query("region", CODE, "该区划、其下级和上级的文件"),
            query("year", {"type": "integer", "minimum": 1991, "maximum": 2099}),
            query("expired", {"type": "string", "enum": ["1"]}, "1：包括已失效的")]


PATHS: dict[str, Any] = {
    "/api/v1/news": list_op("扶贫动态（新的在前）", ARTICLE,
                            _filters("category", NEWS_CATEGORIES)),
    "/api/v1/policies": list_op("政策文件（新的在前）", ARTICLE,
                                _filters("topic", POLICY_TOPICS)),
}
