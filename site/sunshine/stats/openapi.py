"""The statistics endpoint of /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from sunshine.api.openapi import CODE, detail_op, obj, path_param

REGION = {"$ref": "#/components/schemas/Region"}
FIGURE = {"$ref": "#/components/schemas/Figure"}
#: A table cell: a count (possibly hidden), a share, or text such as "—".
CELL = {"anyOf": [FIGURE, {"type": "number"}, {"type": "string"}]}

TABLE = obj({
    "id": {"type": "string"}, "title": {"type": "string"},
    "columns": {"type": "array", "items": obj({"key": {"type": "string"},
                                               "label": {"type": "string"}})},
    "rows": {"type": "array", "items": obj({
        "key": {"type": "string"}, "label": {"type": "string"},
        "url": {"type": "string", "description": "下级区划的统计页"},
        "values": {"type": "object", "additionalProperties": CELL}},
        required=["key", "label", "values"])},
    "note": {"type": "string"}}, required=["id", "title", "columns", "rows"])

PROJECTION = obj({
    "label": {"type": "string"}, "method": {"type": "string"},
    "points": {"type": "array", "items": obj(
        {"year": {"type": "integer"}, "value": {"type": ["integer", "null"]},
         "suppressed": {"type": "boolean"}})}})

PATHS: dict[str, Any] = {
    "/api/v1/stats/{code}": detail_op(
        "区划的扶贫统计（匿名；少于 STATS_MIN_CELL 户的数字为 null 并标 suppressed）", obj({
            "region": REGION,
            "ancestors": {"type": "array", "items": REGION},
            "year": {"type": "integer", "description": "最近的统计年度"},
            "min_cell": {"type": "integer", "description": "公开的最小户数"},
            "synthetic": {"type": "boolean", "description": "演示数据"},
            "headline": {"type": "object", "additionalProperties": CELL},
            "tables": {"type": "array", "items": TABLE},
            "projection": {"anyOf": [PROJECTION, {"type": "null"}]}}),
        path_param("code", CODE)),
}
