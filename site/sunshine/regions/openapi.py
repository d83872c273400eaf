"""The region endpoint of /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from sunshine.api.openapi import detail_op, obj, path_param

REGION = {"$ref": "#/components/schemas/Region"}

PATHS: dict[str, Any] = {
    "/api/v1/regions/{code}": detail_op(
        "区划及其上级（省在前）、下级", obj({
            "region": REGION,
            "ancestors": {"type": "array", "items": REGION},
            "children": {"type": "array", "items": REGION}}),
        path_param("code", {"type": "string", "pattern": "^[0-9]{2,12}$",
                           "description": "12 位区划代码；省略末尾的 0 也可（如 4501）"})),
}
