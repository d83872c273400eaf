"""The farm product endpoints of /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from sunshine.api.openapi import (
    CODE,
    DATE,
    DATETIME,
    ID,
    MONEY,
    REGION_REF,
    URL,
    detail_op,
    list_op,
    nullable,
    obj,
    query,
)
from sunshine.market.models import CATEGORIES, LABELS

PRICE = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]{1,2})?$", "description": "元"}

PRODUCT = obj({
    "id": {"type": "integer"}, "name": {"type": "string"},
    "category": {"type": "string", "enum": CATEGORIES},
    "variety": {"type": "string"}, "spec": {"type": "string", "description": "规格"},
    "unit": {"type": "string"}, "price": {**MONEY, "description": "每单位价格（元）"},
    "min_order": {"type": "integer"},
    "stock": {"type": "string", "description": "库存或供应季节"},
    "shelf_life": {"type": "string"}, "produced_on": nullable(DATE),
    "origin": {**REGION_REF, "description": "产地"},
    "seller": obj({"id": {"type": "integer"}, "name": {"type": "string"},
                   "kind": {"type": "string", "description": "经营主体类型"}}),
    "labels": {"type": "array", "items": {"type": "string", "enum": LABELS}},
    "certified": {"type": "boolean"}, "published": nullable(DATETIME),
    "photos": {"type": "array", "items": URL}, "url": URL})

PRODUCT_DETAIL = obj({**PRODUCT["properties"], "description_html": {"type": "string"}})

PATHS: dict[str, Any] = {
    "/api/v1/products": list_op("消费扶贫：在售农产品", PRODUCT, [
        query("category", {"type": "string", "enum": CATEGORIES}),
        query("county", CODE, "产地县"),
        query("label", {"type": "string", "enum": LABELS}),
        query("certified", {"type": "string", "enum": ["1"]}, "1：只列已认证的"),
        query("min_price", PRICE), query("max_price", PRICE),
        query("sort", {"type": "string", "enum": ["new", "price", "price_desc"],
                       "default": "new"})]),
    "/api/v1/products/{id}": detail_op("一个在售农产品", PRODUCT_DETAIL, ID),
}
