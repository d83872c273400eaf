"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, has_request_context, request, url_for

from sunshine import widgets
from sunshine.clock import CHINA
from sunshine.httpcache import watching

#: URLs remembered by ``TemplateUrls`` before it starts afresh, and the argument types it
#: remembers them by (``bool`` apart from ``int``: ``True`` and ``1`` give other URLs).
MAX_URLS = 8192
PLAIN = frozenset({str, int, bool, type(None)})

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


def nav_section(path: str) -> str | None:
    """The navigation link of the section a path is in ("/" for the home page), marked as
    the current page in the header."""
    if path == "/":
        return path
    for _, link in NAV:
        if path.startswith(link):
            return link
    return None


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


class TemplateUrls:
    """``url_for`` for templates: each URL built once per worker, then remembered.

    A URL depends only on its endpoint, its arguments and where the site is mounted (host and
    script root), and every page builds the same dozen (the header, the footer, the static
    files with their fingerprints) at about 10 µs each. Only plain arguments (text, whole
    numbers, None) are remembered by; anything else (an object, a list) and the special ones
    (``_external``, ``_anchor``...) are built every time. In development
    (``httpcache.watching``) nothing is remembered: a static file's fingerprint may change.
    """

    def __init__(self, app: Flask, size: int = MAX_URLS) -> None:
        self.build = app.url_for
        self.size = size
        self.urls: dict[Hashable, str] = {}

    def __call__(self, endpoint: str, **values: Any) -> str:
        if not has_request_context() or not all(
                type(value) in PLAIN and name[0] != "_" for name, value in values.items()):
            return self.build(endpoint, **values)
        environ = request.environ
        key = (environ.get("HTTP_HOST"), environ.get("SCRIPT_NAME"),
               request.blueprint if endpoint[0] == "." else None, endpoint,
               *[(name, type(value), value) for name, value in sorted(values.items())])
        url = self.urls.get(key)
        if url is None:
            url = self.build(endpoint, **values)
            if len(self.urls) >= self.size:
                self.urls.clear()
            self.urls[key] = url
        return url


def register(app: Flask) -> None:
    if not watching(app):
        app.jinja_env.globals["url_for"] = TemplateUrls(app)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["nav_section"] = nav_section
    app.jinja_env.globals["form_field"] = widgets.form_field
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def site_context() -> dict[str, Any]:
        return {"site_name": app.config["SITE_NAME"], "nav": NAV}
