"""Publishing many projects in one transaction: ``sunshine import projects``, and the projects
of a funds batch (the demo). The same rules and the same public record as the services,
without an ORM object per row. References between the new rows are list positions: an
update's ``project`` is the index of its project in ``projects``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sunshine import pagecache
from sunshine.clock import today
from sunshine.database import utcnow
from sunshine.projects.models import Project, ProjectTotal, ProjectUpdate
from sunshine.projects.records import project_data, update_data
from sunshine.records import ledger, rollup
from sunshine.records.bulk import columns_of, insert_returning_ids
from sunshine.records.deadlines import config_deadline
from sunshine.records.models import State

ZERO = Decimal(0)
TEXT_DEFAULTS = {"responsible_role": "", "summary": "", "targets": "", "mechanism": "",
                 "stage_reason": "", "note": ""}
DATE_NAMES = ("approved_on", "planned_start", "planned_end", "actual_start", "actual_end")


@dataclass
class Batch:
    """Projects and their progress updates to publish together, each a dict of columns."""

    projects: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)  # project: index


def insert_projects(batch: Batch, now: datetime, day: date) -> None:
    """Fill the derived columns and insert the projects; each row gets its ``id``. ``funded``
    and ``spent`` are zero unless the caller brings money with the batch."""
    for project in batch.projects:
        for name, value in TEXT_DEFAULTS.items():
            project.setdefault(name, value)
        for name in DATE_NAMES:
            project.setdefault(name, None)
        for name in ("beneficiary_households", "beneficiary_people",
                     "beneficiary_poor_households"):
            project.setdefault(name, 0)
        project["city_code"], project["county_code"] = rollup.city_and_county(
            project["region_code"])
        project.setdefault("deadline", config_deadline(project["approved_on"], "PROJECTS")
                           if project["approved_on"] else None)
        project.setdefault("published_on", day)
        project.setdefault("funded", ZERO)
        project.setdefault("spent", ZERO)
        project.update(state=State.PUBLISHED.value, version=1, created_at=now, updated_at=now)
    ids = insert_returning_ids(Project, [columns_of(Project, p) for p in batch.projects])
    for project, pid in zip(batch.projects, ids, strict=True):
        project["id"] = pid


def insert_updates(batch: Batch, now: datetime) -> None:
    """Insert the progress updates of the (already inserted) projects."""
    for item in batch.updates:
        item.update(project_id=batch.projects[item["project"]]["id"],
                    state=State.PUBLISHED.value, version=1, created_at=now)
        item.setdefault("photo", None)
    ids = insert_returning_ids(ProjectUpdate, [columns_of(ProjectUpdate, u)
                                               for u in batch.updates])
    for item, uid in zip(batch.updates, ids, strict=True):
        item["id"] = uid


def project_pending(batch: Batch, updates: bool = False) -> list[ledger.Pending]:
    if updates:
        return [ledger.Pending("project_update", u["id"], 1, "publish",
                               update_data(SimpleNamespace(**u))) for u in batch.updates]
    return [ledger.Pending("project", p["id"], 1, "publish", project_data(SimpleNamespace(**p)))
            for p in batch.projects]


def project_totals(batch: Batch) -> None:
    names = ["projects", "budget", "funded", "spent", "households", "people", "poor_households"]
    rollup.bulk(ProjectTotal, (({"year": p["year"], "category": p["category"],
                                 "stage": p["stage"]}, p["region_code"],
                                {"projects": 1, "budget": p["budget"], "funded": p["funded"],
                                 "spent": p["spent"],
                                 "households": p["beneficiary_households"],
                                 "people": p["beneficiary_people"],
                                 "poor_households": p["beneficiary_poor_households"]})
                               for p in batch.projects),
                ["year", "category", "stage"], names)


def publish(batch: Batch) -> dict[str, int]:
    """Insert and publish the projects and updates of ``batch`` in the caller's transaction
    (no commit): rows, then their entries in the public record, then the summary table."""
    now = utcnow()
    insert_projects(batch, now, today())
    insert_updates(batch, now)
    pending = project_pending(batch) + project_pending(batch, updates=True)
    ledger.append_many(pending, now)
    pagecache.changed("projects", None)  # an import: every page
    project_totals(batch)
    return {"projects": len(batch.projects), "updates": len(batch.updates),
            "entries": len(pending)}
