"""Query-string arguments of the public list pages: junk never errors, it means "no filter"."""

from __future__ import annotations

from flask import current_app, request

from sunshine.regions import codes
from sunshine.regions import services as regions
from sunshine.regions.models import Region
from sunshine.regions.services import Place
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


def region_trail(region: Region | None) -> tuple[Place, list[Place], list[Place]]:
    """The region shown (the province by default), its ancestors and its children, as plain
    rows (``regions.around``: remembered until the region tree changes)."""
    return regions.around(region.code if region is not None
                          else current_app.config["PROVINCE_CODE"])
