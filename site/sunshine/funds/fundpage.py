"""What an allocation's public page shows, remembered per worker as plain values
(``pagecache.memo``) until money, a project or the region tree changes: the page then costs
its template only, with the page cache off too."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from sunshine.funds import queries
from sunshine.pagecache import memo
from sunshine.pagecache.versions import Scope
from sunshine.records import ledger
from sunshine.records.plain import copy
from sunshine.regions import services as regions

#: An allocation's page shows its lines' projects and names its region's ancestors.
SCOPES: list[Scope] = [("funds", None), ("projects", None), regions.TREE]

#: Allocation pages a worker remembers.
KEPT = 256


@dataclass(frozen=True)
class Shown:
    fund: SimpleNamespace  # its columns, balance, progress, url, region (a Place), region_name
    ancestors: list[regions.Place]  # province first
    lines: list[SimpleNamespace]  # each with its region (a Place)
    projects: dict[int, SimpleNamespace]  # the lines' projects, by id
    spending: list[SimpleNamespace]  # the newest
    spending_count: int
    history: list[ledger.Version]


def shown(fund_id: int) -> Shown | None:
    """The public allocation ``fund_id``'s page data, or None when it is not public."""
    return memo.remember("fund-page", fund_id, memo.versions(SCOPES),
                         lambda: _read(fund_id), size=KEPT)


def _read(fund_id: int) -> Shown | None:
    fund = queries.get_public(fund_id)
    if fund is None:
        return None
    place, ancestors, _ = regions.around(fund.region_code)
    lines, projects = queries.lines_and_projects(fund)
    spending = queries.spending_of(fund)
    return Shown(
        fund=copy(fund, "balance", "progress", "url", region=place, region_name=place.name),
        ancestors=ancestors,
        lines=[copy(line, region=regions.around(line.region_code)[0]) for line in lines],
        projects={key: copy(project) for key, project in projects.items()},
        spending=[copy(s) for s in spending],
        spending_count=queries.spending_count(fund, spending),
        history=ledger.history("fund", fund.id))
