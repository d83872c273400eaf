"""The notices endpoints of /api/v1/openapi.json: masked names only, never an archive number."""

from __future__ import annotations

from typing import Any

from sunshine.api.openapi import (
    CODE,
    DATE,
    DATETIME,
    ID,
    REGION_REF,
    URL,
    detail_op,
    list_op,
    nullable,
    obj,
    query,
)
from sunshine.notices.models import NoticeKind, NoticeState

NOTICE = obj({
    "id": {"type": "integer"},
    "kind": {"type": "string", "enum": [k.value for k in NoticeKind]},
    "kind_label": {"type": "string"}, "title": {"type": "string"}, "region": REGION_REF,
    "start": DATE, "end": DATE,
    "state": {"type": "string", "enum": [s.value for s in NoticeState]},
    "state_label": {"type": "string"},
    "days_left": {"type": "integer", "description": "公示中时剩余天数，否则为 0"},
    "entries": {"type": "integer", "description": "名单人数"},
    "objections": obj({"received": {"type": "integer"}, "resolved": {"type": "integer"}}),
    "published": nullable(DATETIME), "announced": nullable(DATETIME),
    "withdrawn": nullable(DATETIME), "withdrawn_reason": {"type": ["string", "null"]},
    "result_of": {"type": ["integer", "null"], "description": "结果公告所属的公示"},
    "url": URL, "print_url": URL})

ENTRY = obj({
    "position": {"type": "integer"},
    "name": {"type": "string", "description": "隐去部分字的姓名，例如 张*明"},
    "village": REGION_REF, "household_size": {"type": ["integer", "null"]},
    "reason": {"type": "string"}})

NOTICE_DETAIL = obj({
    **NOTICE["properties"],
    "body_html": {"type": "string"},
    "list": {"type": "array", "items": ENTRY},
    "records": {"type": "array", "description": "关联的项目、资金等公开记录", "items": obj({
        "type": {"type": "string"}, "id": {"type": "integer"}, "name": {"type": "string"},
        "detail": {"type": "string"}, "url": URL})},
    "rulings": {"type": "array", "description": "异议裁定", "items": obj({
        "about": {"type": ["string", "null"]}, "ruling": {"type": "string"},
        "reason": {"type": "string"}, "ruled": nullable(DATETIME)})},
    "result": {"type": ["integer", "null"], "description": "结果公告的编号"}})

PATHS: dict[str, Any] = {
    "/api/v1/notices": list_op("公示公告（公示中的在前）", NOTICE, [
        query("kind", {"type": "string", "enum": [k.value for k in NoticeKind]}),
        query("region", CODE, "区划及其下级"),
        query("state", {"type": "string", "enum": [s.value for s in NoticeState]})]),
    "/api/v1/notices/{id}": detail_op(
        "一条公示：名单（姓名已隐去部分字）、关联记录、异议裁定", NOTICE_DETAIL, ID),
}
