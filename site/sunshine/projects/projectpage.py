"""What a project's public page shows, remembered per worker as plain values
(``pagecache.memo``) until money, a project or the region tree changes: the page then costs
its template only, with the page cache off too."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sunshine.pagecache import memo
from sunshine.pagecache.versions import Scope
from sunshine.projects import queries
from sunshine.records import ledger
from sunshine.records.plain import copy
from sunshine.regions import services as regions

#: A project's page shows its money (the funds feature's) and names its region's ancestors.
SCOPES: list[Scope] = [("projects", None), ("funds", None), regions.TREE]

#: Project pages a worker remembers.
KEPT = 256


@dataclass(frozen=True)
class Shown:
    project: SimpleNamespace  # its columns, url, terminated, region (a Place) and region_name
    ancestors: list[regions.Place]  # province first
    updates: list[SimpleNamespace]
    sources: list[tuple[SimpleNamespace, SimpleNamespace]]  # (line, allocation)
    spending: list[SimpleNamespace]
    history: list[ledger.Version]


def shown(project_id: int) -> Shown | None:
    """The public project ``project_id``'s page data, or None when it is not public."""
    return memo.remember("project-page", project_id, memo.versions(SCOPES),
                         lambda: _read(project_id), size=KEPT)


def _read(project_id: int) -> Shown | None:
    project = queries.get_public(project_id)
    if project is None:
        return None
    place, ancestors, _ = regions.around(project.region_code)
    funding = queries.funding_of(project)
    sources: list[tuple[Any, Any]] = [(copy(line), copy(fund)) for line, fund in funding.sources]
    return Shown(
        project=copy(project, "url", "terminated", region=place, region_name=place.name),
        ancestors=ancestors,
        updates=[copy(update) for update in queries.updates_of(project)],
        sources=sources, spending=[copy(s) for s in funding.spending],
        history=ledger.history("project", project.id))
