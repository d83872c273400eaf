"""The OpenAPI 3.1 document of /api/v1/, assembled from the paths each feature describes.

A feature keeps its endpoints' description next to them, in ``<feature>/openapi.py`` as a plain
``PATHS`` dict, which its ``init_app`` adds to the app's registry. The helpers below are the
shapes every feature shares: errors, money, dates, regions and paged lists.
"""

from __future__ import annotations

from typing import Any

ERROR: dict[str, Any] = {"description": "错误", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}

MONEY: dict[str, Any] = {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$",
                         "description": "元，两位小数"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
DATETIME: dict[str, Any] = {"type": "string", "format": "date-time"}
CODE: dict[str, Any] = {"type": "string", "pattern": "^[0-9]{12}$"}
URL: dict[str, Any] = {"type": "string", "format": "uri"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null (OpenAPI 3.1 has no ``nullable``)."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Any], required: list[str] | None = None,
        description: str | None = None) -> dict[str, Any]:
    """An object schema; every property is required unless ``required`` says otherwise."""
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": list(properties) if required is None else required}
    if description:
        schema["description"] = description
    return schema


#: A region named in an answer: its code and name.
REGION_REF = obj({"code": CODE, "name": {"type": "string"}})


#: One version of a record in the public, hash-chained record.
VERSION = obj({
    "seq": {"type": "integer", "description": "公开记录中的序号"},
    "version": {"type": "integer"}, "action": {"type": "string"},
    "reason": {"type": "string"}, "at": {"type": "string", "description": "ISO 8601 时间"},
    "hash": {"type": "string"},
    "changes": {"type": "array", "items": obj(
        {"field": {"type": "string"}, "from": {}, "to": {}},
        description="与上一版本相比的变化")}})


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A query parameter; unknown or malformed values are ignored, never an error."""
    param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


def path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def paging(max_per_page: int = 100, default: int = 50) -> list[dict[str, Any]]:
    """``?page=`` and ``?per_page=``: junk or out of range falls back to the default."""
    return [query("page", {"type": "integer", "minimum": 1, "default": 1}, "页码"),
            query("per_page", {"type": "integer", "minimum": 1, "maximum": max_per_page,
                               "default": default}, "每页条数")]


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def list_op(summary: str, item: dict[str, Any], params: list[dict[str, Any]],
            extra: dict[str, Any] | None = None, max_per_page: int = 100) -> dict[str, Any]:
    """A paged list: ``{"items": [...], "page", "per_page", "total"}`` plus ``extra`` keys."""
    properties = {"items": {"type": "array", "items": item},
                  "page": {"type": "integer", "minimum": 1},
                  "per_page": {"type": "integer", "minimum": 1},
                  "total": {"type": "integer", "minimum": 0}, **(extra or {})}
    return {"get": {"summary": summary, "parameters": [*params, *paging(max_per_page)],
                    "responses": {"200": json_response(summary, obj(properties))}}}


def detail_op(summary: str, item: dict[str, Any], param: dict[str, Any]) -> dict[str, Any]:
    """One thing by its id or code; 404 with ``{"error": ...}`` when it is not public."""
    return {"get": {"summary": summary, "parameters": [param],
                    "responses": {"200": json_response(summary, item), "404": ERROR}}}


ID = path_param("id", {"type": "integer", "minimum": 1})

SCHEMAS: dict[str, Any] = {
    "Error": obj({"error": {"type": "string"}}),
    "Region": obj({"code": CODE, "name": {"type": "string"},
                   "level": {"type": "integer", "minimum": 1, "maximum": 5},
                   "level_name": {"type": "string"}}),
    # A published count, or a hidden one: {"value": null, "suppressed": true}.
    "Figure": obj({"value": {"type": ["integer", "null"]}, "suppressed": {"type": "boolean"}}),
}

PATHS: dict[str, Any] = {
    "/api/v1/": {"get": {"summary": "API 目录", "responses": {"200": json_response(
        "文档地址和全部接口", obj({"openapi": {"type": "string"},
                           "endpoints": {"type": "array", "items": {"type": "string"}}}))}}},
    "/api/v1/openapi.json": {"get": {"summary": "本文档（OpenAPI 3.1）", "responses": {
        "200": json_response("OpenAPI 文档", obj(
            {"openapi": {"type": "string"}, "info": {"type": "object"},
             "paths": {"type": "object"}, "components": {"type": "object"}}))}}},
}


def build_spec(paths: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "阳光扶贫公开平台 API", "version": "1",
                 "description": "只读公开数据。金额为两位小数的字符串（元），日期为 ISO 8601。"
                                "列表返回 items、page、per_page、total；错误返回 "
                                "{\"error\": \"...\"} 和 4xx 状态码。"},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": SCHEMAS},
    }
