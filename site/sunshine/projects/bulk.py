"""The projects' part of ``sunshine.funds.bulk.publish``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sunshine.projects.models import ProjectTotal
from sunshine.projects.records import project_data, update_data
from sunshine.records import ledger, rollup
from sunshine.records.deadlines import config_deadline
from sunshine.records.models import State

ZERO = Decimal(0)
TEXT_DEFAULTS = {"responsible_role": "", "summary": "", "targets": "", "mechanism": "",
                 "stage_reason": "", "note": ""}
DATE_NAMES = ("approved_on", "planned_start", "planned_end", "actual_start", "actual_end")


def prepare_projects(batch: Any, now: datetime, day: date) -> None:
    """Fill the derived columns, and the funding that the batch's lines and spending bring."""
    funded = [ZERO] * len(batch.projects)
    spent = [ZERO] * len(batch.projects)
    for line in batch.lines:
        if line.get("project") is not None:
            funded[line["project"]] += line["amount"]
    for spending in batch.spendings:
        if spending.get("line") is not None:
            line = batch.lines[spending["line"]]
            if line.get("project") is not None:
                spent[line["project"]] += spending["amount"]
    for n, project in enumerate(batch.projects):
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
        project.update(state=State.PUBLISHED.value, version=1, funded=funded[n],
                       spent=spent[n], created_at=now, updated_at=now)


def project_pending(batch: Any, updates: bool = False) -> list[ledger.Pending]:
    if updates:
        return [ledger.Pending("project_update", u["id"], 1, "publish",
                               update_data(SimpleNamespace(**u))) for u in batch.updates]
    return [ledger.Pending("project", p["id"], 1, "publish", project_data(SimpleNamespace(**p)))
            for p in batch.projects]


def project_totals(batch: Any) -> None:
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
