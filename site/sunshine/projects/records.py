"""What of each project record is public, and so goes into the hash chain. Each function
takes the model or, when a batch is published in bulk, its columns as a ``SimpleNamespace``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sunshine.projects.models import Project, ProjectUpdate
from sunshine.records.ledger import RecordType, iso
from sunshine.records.money import money_text


def project_data(project: Project | SimpleNamespace) -> dict[str, Any]:
    return {"name": project.name, "category": project.category,
            "region_code": project.region_code, "year": project.year,
            "budget": money_text(project.budget), "implementing_unit": project.implementing_unit,
            "responsible_role": project.responsible_role, "summary": project.summary,
            "targets": project.targets, "mechanism": project.mechanism,
            "beneficiary_households": project.beneficiary_households,
            "beneficiary_people": project.beneficiary_people,
            "beneficiary_poor_households": project.beneficiary_poor_households,
            "approved_on": iso(project.approved_on), "planned_start": iso(project.planned_start),
            "planned_end": iso(project.planned_end), "actual_start": iso(project.actual_start),
            "actual_end": iso(project.actual_end), "stage": project.stage,
            "stage_reason": project.stage_reason, "state": project.state}


def update_data(item: ProjectUpdate | SimpleNamespace) -> dict[str, Any]:
    return {"project_id": item.project_id, "on": iso(item.on), "stage": item.stage,
            "text": item.text, "photo": item.photo, "state": item.state}


#: Registered on the app by the feature's ``init_app``.
RECORD_TYPES = (
    RecordType("project", "扶贫项目", Project, project_data, lambda p: f"/projects/{p.id}"),
    RecordType("project_update", "项目进展", ProjectUpdate, update_data,
               lambda u: f"/projects/{u.project_id}"),
)
