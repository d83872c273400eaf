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
    "/api/v1/stats/{code}": {"get": {
        "summary": "区划的扶贫统计（匿名；少于 10 户的数字为 null 并标 suppressed）",
        "parameters": [{"name": "code", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9]{12}$"}}],
        "responses": {
            "200": {"description": "统计", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "region": {"$ref": "#/components/schemas/Region"},
                    "ancestors": {"type": "array",
                                  "items": {"$ref": "#/components/schemas/Region"}},
                    "year": {"type": "integer"},
                    "min_cell": {"type": "integer"},
                    "synthetic": {"type": "boolean"},
                    "headline": {"type": "object", "additionalProperties": {
                        "$ref": "#/components/schemas/Figure"}},
                    "tables": {"type": "array", "items": {"type": "object"}},
                    "projection": {"type": ["object", "null"]},
                }}}}},
            "404": ERROR,
        },
    }},
}

#: A published count, or a hidden one: {"value": null, "suppressed": true}.
FIGURE = {"type": "object", "properties": {
    "value": {"type": ["integer", "null"]}, "suppressed": {"type": "boolean"}},
    "required": ["value", "suppressed"]}


def build_spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "阳光扶贫公开平台 API", "version": "1",
                 "description": "只读公开数据。金额为两位小数的字符串（元），日期为 ISO 8601。"},
        "paths": PATHS,
        "components": {"schemas": {"Region": REGION, "Error": ERROR, "Figure": FIGURE}},
    }
