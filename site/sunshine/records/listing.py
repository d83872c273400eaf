"""Query-string arguments of the public list pages: junk never errors, it means "no filter"."""

from __future__ import annotations

from flask import current_app, request

from sunshine.regions import services as regions
from sunshine.regions.models import Region


def region_arg() -> Region | None:
    """``?region=`` as a known region; junk means the whole province, never an error."""
    code = request.args.get("region", "")
    if not (code.isascii() and code.isdigit() and len(code) == 12):
        return None
    try:
        return regions.get_region(code)
    except regions.RegionNotFound:
        return None


def year_arg() -> int | None:
    text = request.args.get("year", "")
    return int(text) if text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100 else None


def per_page_arg(default: int) -> int:
    text = request.args.get("per_page", "")
    return max(1, min(int(text), 100)) if text.isascii() and text.isdigit() else default


def region_trail(region: Region | None) -> tuple[Region, list[Region], list[Region]]:
    """The region shown (the province by default), its ancestors and its children."""
    shown = region or regions.get_region(current_app.config["PROVINCE_CODE"])
    ancestors, children = regions.ancestors_and_children(shown)
    return shown, ancestors, children
