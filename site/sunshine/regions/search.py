"""Regions in site search: a villager can type the name of a village and find its page."""

from __future__ import annotations

from collections.abc import Iterator

from flask import url_for
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.registry import SearchDoc


def document(region: Region, names: dict[str, str]) -> SearchDoc:
    """A region's page, found by its name and its ancestors' (``names``: code → name)."""
    chain = " ".join(names.get(c, "") for c in codes.ancestors_of(region.code))
    return SearchDoc(
        id=f"region:{region.code}", type="region", title=region.name,
        body=f"{chain} {region.name}（{region.level_name}级，区划代码 {region.code}）",
        url=url_for("stats.detail", code=region.code), region_code=region.code)


def region_documents() -> Iterator[SearchDoc]:
    names = dict(db.session.execute(select(Region.code, Region.name)).tuples().all())
    for region in db.session.execute(select(Region).order_by(Region.code)).scalars():
        yield document(region, names)


def load_documents(keys: list[str]) -> Iterator[SearchDoc]:
    """The regions among these codes (a region's page is always public)."""
    found = list(db.session.execute(select(Region).where(Region.code.in_(keys))).scalars())
    wanted = {c for region in found for c in codes.ancestors_of(region.code)}
    names = dict(db.session.execute(select(Region.code, Region.name).where(
        Region.code.in_(wanted))).tuples().all()) if wanted else {}
    for region in found:
        yield document(region, names)
