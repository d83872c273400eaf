"""Choosing a region in a public form without scripts: one select a level (city, county, town,
village), each offering the children of the region chosen above it, and a “显示下一级” button
that posts the form back to show the next level (``templates/_macros/regions.html``).

The form declares the selects with ``region_select``; the view keeps one ``RegionPicker``
naming them, reads the chosen regions with ``chain`` and fills the selects with ``fill``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from wtforms import SelectField

from sunshine.extensions import db
from sunshine.regions import codes, services
from sunshine.regions.models import Region

#: The select of each level below the province, and its label.
LABELS = {"city": "市", "county": "县（市、区）", "town": "乡镇（街道）", "village": "村（社区）"}

#: What a select shows when the level above it is still to be chosen.
CHOOSE_ABOVE_FIRST = "请先选上一级"


def region_select(level: str) -> Any:
    """The select of one level (``city``, ``county``, ``town`` or ``village``); its choices
    are filled by ``RegionPicker.fill``, so any code is accepted here and checked there."""
    return SelectField(LABELS[level], choices={}, validate_choice=False)


@dataclass(frozen=True)
class RegionPicker:
    """The region selects of a form, from the city down."""

    #: The names of the form's selects, one a level from the city down.
    fields: tuple[str, ...]
    #: The empty choice of the first select and of the others.
    first_prompt: str = "请选择"
    prompt: str = "请选择"
    #: How many selects a link's ``?region=`` fills, from the city down (all by default).
    link_depth: int | None = None

    def chain(self, form: Any) -> list[Region]:
        """The regions chosen so far, each a child of the one before; later picks that no
        longer fit (a county of another city) or are not codes at all are dropped."""
        chain: list[Region] = []
        parent = current_app.config["PROVINCE_CODE"]
        for name in self.fields:
            code = codes.clean((getattr(form, name).data or "").strip())
            region = db.session.get(Region, code) if code else None
            if region is None or region.parent_code != parent:
                break
            chain.append(region)
            parent = region.code
        return chain

    def fill(self, form: Any, chain: list[Region]) -> None:
        """Each select's choices: the children of the region above it, the chosen one
        selected; the selects below the next level to choose are disabled."""
        parent = current_app.config["PROVINCE_CODE"]
        for depth, name in enumerate(self.fields):
            select = getattr(form, name)
            if depth > len(chain):
                select.choices = {"": CHOOSE_ABOVE_FIRST}
                select.data = ""
                select.render_kw = {"disabled": True}
                continue
            select.choices = {"": self.prompt if depth else self.first_prompt,
                              **services.child_names(parent)}
            select.data = chain[depth].code if depth < len(chain) else ""
            if depth < len(chain):
                parent = chain[depth].code

    def prefill(self, form: Any, code: str) -> None:
        """The selects set from a link's region (``?region=``) and its ancestors; an unknown
        code sets nothing."""
        try:
            region = services.get_region(code)
        except services.RegionNotFound:
            return
        depth = len(self.fields) if self.link_depth is None else self.link_depth
        for ancestor in [*services.ancestors_of(region), region]:
            if 0 <= ancestor.level - 2 < depth:
                getattr(form, self.fields[ancestor.level - 2]).data = ancestor.code
