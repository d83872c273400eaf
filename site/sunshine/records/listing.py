"""Query-string arguments of the public list pages: junk never errors, it means "no filter"."""

from __future__ import annotations

from flask import current_app, request
from sqlalchemy import or_, select

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.web import int_arg


def code_arg(name: str = "region", level: int | None = None) -> str | None:
    """``?<name>=`` as a well-formed region code (of ``level``, if given), else None."""
    return codes.clean(request.args.get(name), level)


def region_arg(name: str = "region") -> Region | None:
    """``?region=`` as a known region; junk means the whole province, never an error."""
    code = code_arg(name)
    if code is None:
        return None
    try:
        return regions.get_region(code)
    except regions.RegionNotFound:
        return None


def year_arg() -> int | None:
    """``?year=`` between 2000 and 2100, else None (every year)."""
    return int_arg("year", 0, 2000, 2100) or None


def region_trail(region: Region | None) -> tuple[Region, list[Region], list[Region]]:
    """The region shown (the province by default), its ancestors and its children; one
    query either way (the province has no ancestors: it comes with its children)."""
    if region is not None:
        ancestors, children = regions.ancestors_and_children(region)
        return region, ancestors, children
    code = current_app.config["PROVINCE_CODE"]
    found = list(db.session.execute(select(Region).where(
        or_(Region.code == code, Region.parent_code == code)).order_by(Region.code)).scalars())
    shown = next((r for r in found if r.code == code), None) or regions.get_region(code)
    return shown, [], [r for r in found if r.parent_code == code]
