"""The complaint statistics endpoint of /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from sunshine.api.openapi import CODE, ERROR, REGION_REF, list_op, obj, query
from sunshine.complaints.stats import MEASURE_LABELS

STATS_ITEM = obj({
    "region": REGION_REF,
    "period": {"type": "string", "description": "YYYY-MM，或全年 YYYY"},
    "measure": {"type": "string", "enum": list(MEASURE_LABELS)},
    "kind": {"type": ["string", "null"]}, "category": {"type": ["string", "null"]},
    "value": {"type": ["number", "null"], "description": "被隐去时为 null"},
    "suppressed": {"type": "boolean"}})

STATS = list_op(
    "投诉举报办理情况统计（少于 STATS_MIN_CELL 的数字隐去）", STATS_ITEM,
    [query("region", CODE, "区划（默认全省）"),
     query("year", {"type": "integer", "minimum": 2000}, "年度（默认今年）")],
    extra={"region": REGION_REF, "year": {"type": "integer"}, "min_cell": {"type": "integer"}},
    max_per_page=500)
# An unknown ?region= is a 404, not the province.
STATS["get"]["responses"]["404"] = ERROR

PATHS: dict[str, Any] = {"/api/v1/complaints/stats": STATS}
