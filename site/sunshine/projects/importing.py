"""``sunshine import projects FILE.csv``: published projects, all-or-nothing.

Columns: name, category, region_code, year, budget, implementing_unit, and optionally
responsible_role, stage, summary, targets, mechanism, beneficiary_households,
beneficiary_people, beneficiary_poor_households, approved_on, planned_start, planned_end,
actual_start, actual_end. Same rules as the back office; errors name the line; a dry run
unless ``--confirm``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from sunshine.extensions import db
from sunshine.guard import PersonalDataFound, check_publishable
from sunshine.importing import ImportReport, read_csv_rows
from sunshine.projects import bulk, services
from sunshine.projects.models import ALL_STAGES
from sunshine.records.checks import RecordError, parse_date, parse_int
from sunshine.records.money import AmountError, parse_amount

REQUIRED = {"name", "category", "region_code", "year", "budget", "implementing_unit"}


def _date(row: Mapping[str, str], name: str) -> date | None:
    return parse_date(row[name], services.DATES[name]) if row.get(name) else None


def import_projects(path: Path, confirm: bool = False) -> ImportReport:
    report = ImportReport(kind="projects", confirmed=confirm)
    batch = bulk.Batch()
    for line, row in read_csv_rows(path, REQUIRED):
        report.rows += 1
        try:
            stage = row.get("stage") or "申报"
            if stage not in ALL_STAGES:
                raise RecordError(f"项目阶段应为：{'、'.join(ALL_STAGES)}")
            fields = services.ProjectFields(
                name=row["name"], category=row["category"], region_code=row["region_code"],
                year=parse_int(row["year"], "年度", 4), budget=parse_amount(row["budget"]),
                implementing_unit=row["implementing_unit"],
                responsible_role=row.get("responsible_role", ""), summary=row.get("summary", ""),
                targets=row.get("targets", ""), mechanism=row.get("mechanism", ""),
                beneficiary_households=parse_int(row.get("beneficiary_households") or "0",
                                                 "受益户数"),
                beneficiary_people=parse_int(row.get("beneficiary_people") or "0", "受益人数"),
                beneficiary_poor_households=parse_int(
                    row.get("beneficiary_poor_households") or "0", "受益贫困户数"),
                approved_on=_date(row, "approved_on"), planned_start=_date(row, "planned_start"),
                planned_end=_date(row, "planned_end"), actual_start=_date(row, "actual_start"),
                actual_end=_date(row, "actual_end"))
            services.validate_project(fields)
            check_publishable(*(getattr(fields, n) for n in services.TEXTS))
        except (RecordError, AmountError, PersonalDataFound) as exc:
            report.error(line, getattr(exc, "message", str(exc)))
            continue
        item = dict(fields.__dict__)
        item["stage"] = stage
        batch.projects.append(item)
    report.created = len(batch.projects)
    if report.ok and confirm:
        bulk.publish(batch)
        db.session.commit()
    else:
        db.session.rollback()
    return report
