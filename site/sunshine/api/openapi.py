"""The OpenAPI document. Features add their paths to ``PATHS`` when they add endpoints."""

from __future__ import annotations

from typing import Any

ERROR = {"description": "错误", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}}}}

REGION = {"type": "object", "properties": {
    "code": {"type": "string", "pattern": "^[0-9]{12}$"},
    "name": {"type": "string"},
    "level": {"type": "integer", "minimum": 1, "maximum": 5},
    "level_name": {"type": "string"},
}, "required": ["code", "name", "level"]}

PATHS: dict[str, Any] = {
    "/api/v1/regions/{code}": {"get": {
        "summary": "区划及其上级、下级",
        "parameters": [{"name": "code", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9]{12}$"}}],
        "responses": {
            "200": {"description": "区划", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "region": {"$ref": "#/components/schemas/Region"},
                    "ancestors": {"type": "array",
                                  "items": {"$ref": "#/components/schemas/Region"}},
                    "children": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/Region"}},
                }}}}},
            "404": ERROR,
        },
    }},
}


def build_spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "阳光扶贫公开平台 API", "version": "1",
                 "description": "只读公开数据。金额为两位小数的字符串（元），日期为 ISO 8601。"},
        "paths": PATHS,
        "components": {"schemas": {"Region": REGION, "Error": ERROR}},
    }
