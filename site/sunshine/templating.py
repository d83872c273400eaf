"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request, url_for

from sunshine.clock import CHINA

#: The public navigation, in the order of the URL map.
NAV = [
    ("扶贫动态", "/news/"),
    ("政策导航", "/policies/"),
    ("资金公开", "/funds/"),
    ("项目公开", "/projects/"),
    ("扶贫数据", "/stats/"),
    ("公示公告", "/notices/"),
    ("依申请公开", "/requests/"),
    ("投诉举报", "/complaints/new"),
    ("爱心帮扶", "/help/"),
    ("消费扶贫", "/market/"),
]


def money(value: Decimal | int | None, unit: str = "元") -> str:
    """Exact yuan with two decimals; ``unit='万元'`` divides by 10,000 first."""
    if value is None:
        return "—"
    amount = Decimal(value)
    if unit == "万元":
        amount = amount / Decimal(10000)
    return f"{amount.quantize(Decimal('0.01')):,} {unit}"


def local_time(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a UTC timestamp in China time; dates as they are."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(CHINA).strftime(fmt)
    return value.strftime("%Y-%m-%d")


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (for pagination and filters)."""
    args: dict[str, Any] = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint or "public.index", **(request.view_args or {}), **args)


def register(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def site_context() -> dict[str, Any]:
        return {"site_name": app.config["SITE_NAME"], "nav": NAV}
