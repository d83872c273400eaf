"""The requests endpoints of /api/v1/openapi.json: the archive's public fields only."""

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
from sunshine.requests.models import Outcome, Status

NULLABLE_STRING = {"type": ["string", "null"]}

REQUEST = obj({
    "id": {"type": "integer"}, "title": {"type": "string"},
    "office": obj({"key": {"type": "string", "description": "区划代码-机关类型"},
                   "name": {"type": "string"}, "region": REGION_REF}),
    "received": DATETIME, "deadline": DATE,
    "status": {"type": "string", "enum": [s.value for s in Status]},
    "status_label": {"type": "string"},
    "overdue": {"type": "boolean"}, "was_overdue": {"type": "boolean"},
    "extension_days": {"type": "integer", "minimum": 0},
    "outcome": {"type": ["string", "null"], "enum": [*(o.value for o in Outcome), None]},
    "outcome_label": NULLABLE_STRING, "basis": NULLABLE_STRING,
    "answered": nullable(DATETIME), "answered_on_time": {"type": ["boolean", "null"]},
    "about": {"type": ["string", "null"], "description": "申请涉及的本站页面"},
    "question": {"type": ["string", "null"], "description": "申请人同意公开时的申请内容"},
    "url": URL})

REQUEST_DETAIL = obj({
    **REQUEST["properties"],
    "answer": {"type": ["string", "null"], "description": "申请人同意公开时的答复"},
    "withheld": NULLABLE_STRING, "referred_to": NULLABLE_STRING,
    "history": {"type": "array", "items": obj({"at": DATETIME, "text": {"type": "string"}})},
    "files": {"type": "array", "description": "随答复公开的文件（申请人同意公开、且已核对不含个人"
              "信息的）", "items": obj({
                  "name": {"type": "string"}, "content_type": {"type": "string"},
                  "size": {"type": "integer", "minimum": 0}, "url": URL})}})

PATHS: dict[str, Any] = {
    "/api/v1/requests": list_op("依申请公开目录（新收到的在前）", REQUEST, [
        query("region", CODE, "机关所在区划及其下级"),
        query("office", {"type": "string", "pattern": "^[0-9]{12}-[a-z]+$"}, "机关"),
        query("status", {"type": "string", "enum": [s.value for s in Status]}),
        query("outcome", {"type": "string", "enum": [o.value for o in Outcome]}),
        query("about", {"type": "string"}, "本站页面路径，例如 /funds/12")]),
    "/api/v1/requests/{id}": detail_op("一件依申请公开：期限、办理经过和答复结果",
                                       REQUEST_DETAIL, ID),
}
