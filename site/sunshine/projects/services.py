"""Projects: drafts, publishing, corrections, lifecycle steps with dated progress updates,
withdrawal, and the funding figures that allocations and spending keep current.

Like funds, a published project is never edited silently: each change is a new version in the
hash chain (``update`` for a step of the lifecycle, ``correct`` for a correction with a reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import update

from sunshine import pagecache
from sunshine.accounts.models import User
from sunshine.audit import record
from sunshine.clock import today
from sunshine.database import rowcount, utcnow
from sunshine.extensions import db
from sunshine.guard import check_publishable
from sunshine.notify.events import announce
from sunshine.projects import indexing
from sunshine.projects.models import (
    ALL_STAGES,
    CATEGORIES,
    STAGES,
    TERMINATED,
    Project,
    ProjectTotal,
    ProjectUpdate,
)
from sunshine.projects.records import project_data, update_data
from sunshine.records import ledger, rollup
from sunshine.records.checks import (
    RecordError,
    amount,
    check_date,
    check_year,
    clean_text,
    in_scope,
    known_region,
)
from sunshine.records.deadlines import config_deadline
from sunshine.records.models import State
from sunshine.uploads import PhotoRejected, PhotoStore

ProjectError = RecordError
PUBLISHED = State.PUBLISHED.value
TEXTS = {"name": ("项目名称", 200, True), "implementing_unit": ("实施单位", 200, True),
         "responsible_role": ("责任人职务", 100, False), "summary": ("建设内容", 2000, False),
         "targets": ("绩效目标", 1000, False), "mechanism": ("带贫减贫机制", 1000, False)}
DATES = {"approved_on": "立项批复日期", "planned_start": "计划开工日期",
         "planned_end": "计划完工日期", "actual_start": "实际开工日期",
         "actual_end": "实际完工日期"}


@dataclass
class ProjectFields:
    name: str
    category: str
    region_code: str
    year: int
    budget: Decimal
    implementing_unit: str
    responsible_role: str = ""
    summary: str = ""
    targets: str = ""
    mechanism: str = ""
    beneficiary_households: int = 0
    beneficiary_people: int = 0
    beneficiary_poor_households: int = 0
    approved_on: date | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    stage: str = STAGES[0]


def validate_project(fields: ProjectFields) -> ProjectFields:
    """:raise ProjectError: naming the field."""
    for name, (label, limit, required) in TEXTS.items():
        setattr(fields, name, clean_text(getattr(fields, name), name, label, limit, required,
                                         multiline=name in ("summary", "targets", "mechanism")))
    if fields.category not in CATEGORIES:
        raise ProjectError(f"项目类别应为：{'、'.join(CATEGORIES)}", "category")
    if fields.stage not in STAGES:
        raise ProjectError(f"项目阶段应为：{'、'.join(STAGES)}", "stage")
    fields.region_code = known_region(fields.region_code).code
    check_year(fields.year)
    fields.budget = amount(fields.budget, "budget")
    for name in ("beneficiary_households", "beneficiary_people", "beneficiary_poor_households"):
        value = getattr(fields, name)
        if not isinstance(value, int) or not 0 <= value <= 10_000_000:
            raise ProjectError("受益户数和人数应为 0 到 10000000 之间的整数", name)
    if fields.beneficiary_poor_households > fields.beneficiary_households:
        raise ProjectError("受益贫困户数不能多于受益户数", "beneficiary_poor_households")
    if fields.beneficiary_households > fields.beneficiary_people:
        raise ProjectError("受益户数不能多于受益人数", "beneficiary_people")
    for name, label in DATES.items():
        latest = today() if name in ("approved_on", "actual_start", "actual_end") else None
        check_date(getattr(fields, name), name, label, latest=latest, required=False)
    for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        if getattr(fields, start) and getattr(fields, end) \
                and getattr(fields, end) < getattr(fields, start):
            raise ProjectError(f"{DATES[end]}不能早于{DATES[start]}", end)
    return fields


def _apply(project: Project, fields: ProjectFields) -> None:
    for name in ("name", "category", "region_code", "year", "budget", "implementing_unit",
                 "responsible_role", "summary", "targets", "mechanism", "beneficiary_households",
                 "beneficiary_people", "beneficiary_poor_households", *DATES):
        setattr(project, name, getattr(fields, name))
    project.city_code, project.county_code = rollup.city_and_county(fields.region_code)
    project.deadline = (config_deadline(fields.approved_on, "PROJECTS")
                        if fields.approved_on else None)
    project.updated_at = utcnow()


def _guard(project: Project | ProjectFields) -> None:
    check_publishable(*(getattr(project, name) for name in TEXTS))


def _totals(project: Project, sign: int) -> None:
    rollup.apply(ProjectTotal, {"year": project.year, "category": project.category,
                                "stage": project.stage}, project.region_code,
                 {"projects": sign, "budget": sign * project.budget,
                  "funded": sign * project.funded, "spent": sign * project.spent,
                  "households": sign * project.beneficiary_households,
                  "people": sign * project.beneficiary_people,
                  "poor_households": sign * project.beneficiary_poor_households})


def _lock(project: Project, state: str = PUBLISHED) -> None:
    """Take the project's row lock and bump its version, or refuse a stale change."""
    changed = rowcount(db.session.execute(
        update(Project).where(Project.id == project.id, Project.state == state,
                              Project.version == project.version)
        .values(version=Project.version + 1).execution_options(synchronize_session=False)))
    if not changed:
        db.session.rollback()
        raise ProjectError("这个项目刚被其他人修改，请刷新后再试")
    db.session.refresh(project)


def create_project(actor: User | None, fields: ProjectFields) -> Project:
    validate_project(fields)
    in_scope(actor, fields.region_code)
    project = Project(state=State.DRAFT.value, version=0, stage=fields.stage)
    _apply(project, fields)
    db.session.add(project)
    db.session.flush()
    ledger.touch()
    pagecache.changed("projects", project.region_code)
    record("project_created", actor, "project", project.id, project.region_code, project.name)
    db.session.commit()
    return project


def update_draft(actor: User | None, project: Project, fields: ProjectFields) -> Project:
    in_scope(actor, project.region_code)
    if project.state != State.DRAFT.value:
        raise ProjectError("已公开的项目不能直接修改，请提交更正并说明原因")
    validate_project(fields)
    in_scope(actor, fields.region_code)
    pagecache.changed("projects", project.region_code, fields.region_code)
    _apply(project, fields)
    project.stage = fields.stage
    ledger.touch()
    record("project_updated", actor, "project", project.id, project.region_code, project.name)
    db.session.commit()
    return project


def publish_project(actor: User | None, project: Project) -> Project:
    in_scope(actor, project.region_code)
    if project.state != State.DRAFT.value:
        raise ProjectError("只有草稿可以公开")
    _guard(project)
    _lock(project, State.DRAFT.value)
    project.state, project.version, project.published_on = PUBLISHED, 1, today()
    db.session.flush()
    _totals(project, 1)
    ledger.append(ledger.Pending("project", project.id, 1, "publish", project_data(project)))
    pagecache.changed("projects", project.region_code)
    record("project_published", actor, "project", project.id, project.region_code, project.name)
    announce(f"新项目公开：{project.name}", f"/projects/{project.id}",
             region_code=project.region_code)
    indexing.reindex_projects([project])
    db.session.commit()
    return project


def correct_project(actor: User | None, project: Project, fields: ProjectFields,
                    reason: str) -> Project:
    """A corrected version with a reason (the stage moves with ``advance``, not here)."""
    in_scope(actor, project.region_code)
    if project.state != PUBLISHED:
        raise ProjectError("只有已公开的项目可以更正")
    reason = clean_text(reason, "reason", "更正原因", 300)
    fields.stage = STAGES[0]  # not used: the stage is kept
    validate_project(fields)
    in_scope(actor, fields.region_code)
    _guard(fields)
    if fields.region_code != project.region_code and project.funded:
        raise ProjectError("已有资金分配的项目不能更改所在地区", "region_code")
    preview = Project(stage=project.stage, stage_reason=project.stage_reason,
                      state=project.state)
    _apply(preview, fields)
    if project_data(preview) == project_data(project):
        raise ProjectError("内容没有变化，无需更正")
    _lock(project)
    _totals(project, -1)
    pagecache.changed("projects", project.region_code, fields.region_code)
    _apply(project, fields)
    project.note = reason
    db.session.flush()
    _totals(project, 1)
    ledger.append(ledger.Pending("project", project.id, project.version, "correct",
                                 project_data(project), reason))
    record("project_corrected", actor, "project", project.id, project.region_code, reason)
    indexing.reindex_projects([project])
    db.session.commit()
    return project


#: Progress photos, named by the SHA-256 of their bytes so that the hash chain, which records
#: the name, vouches for the picture too: UPLOAD_DIR/projects/<sha256>.<ext>.
PHOTOS = PhotoStore("projects", "PROJECT_PHOTO", by_content=True)


def store_photo(data: bytes) -> str:
    """Check and re-encode a progress photo (no EXIF or GPS survives), store it, return its
    name. :raise ProjectError: not a JPEG/PNG/WebP photo, too large, or damaged."""
    try:
        photo = PHOTOS.clean(data)
    except PhotoRejected as exc:
        raise ProjectError(exc.message, "photo") from None
    return PHOTOS.save(photo).filename


def add_update(actor: User | None, project: Project, on: date, text: str, stage: str | None = None,
               reason: str = "", photo: bytes | None = None) -> ProjectUpdate:
    """A dated progress note, with a photo if given; with ``stage`` the project also moves
    along its lifecycle (one step forward, or to 终止 with a reason), a new version of it."""
    in_scope(actor, project.region_code)
    if project.state != PUBLISHED:
        raise ProjectError("只有已公开的项目可以发布进展")
    text = clean_text(text, "text", "进展说明", 1000, multiline=True)
    check_publishable(text)
    check_date(on, "on", "进展日期", latest=today(), earliest=date(project.year - 1, 1, 1))
    stage = stage or project.stage
    if stage not in ALL_STAGES:
        raise ProjectError("项目阶段不正确", "stage")
    moving = stage != project.stage
    if moving:
        if project.stage in (TERMINATED, STAGES[-1]):
            raise ProjectError(f"项目已{project.stage}，不能再变更阶段", "stage")
        if stage == TERMINATED:
            reason = clean_text(reason, "reason", "终止原因", 300)
        elif STAGES.index(stage) != STAGES.index(project.stage) + 1:
            raise ProjectError(f"项目只能从“{project.stage}”进入“"
                               f"{STAGES[STAGES.index(project.stage) + 1]}”", "stage")
    if moving:
        _lock(project)
        _totals(project, -1)
        project.stage = stage
        if stage == TERMINATED:
            project.stage_reason = reason
        if stage == "实施" and project.actual_start is None:
            project.actual_start = on
        if stage == "完工" and project.actual_end is None:
            project.actual_end = on
        db.session.flush()
        _totals(project, 1)
    item = ProjectUpdate(project_id=project.id, on=on, stage=stage, text=text,
                         photo=store_photo(photo) if photo else None, state=PUBLISHED, version=1)
    db.session.add(item)
    db.session.flush()
    pending = []
    if moving:
        pending.append(ledger.Pending("project", project.id, project.version, "update",
                                      project_data(project), f"进入{stage}阶段"))
    pending.append(ledger.Pending("project_update", item.id, 1, "publish", update_data(item)))
    ledger.append_many(pending)
    pagecache.changed("projects", project.region_code)
    record("project_progress", actor, "project", project.id, project.region_code, text[:200])
    announce(f"项目进展：{project.name}" + (f"进入{stage}阶段" if moving else ""),
             f"/projects/{project.id}", about=("project", str(project.id)))
    if moving:
        indexing.reindex_projects([project])
    db.session.commit()
    return item


def withdraw_project(actor: User | None, project: Project, reason: str) -> Project:
    in_scope(actor, project.region_code)
    reason = clean_text(reason, "reason", "撤回原因", 300)
    if project.state != PUBLISHED:
        raise ProjectError("只有已公开的项目可以撤回")
    if project.funded:
        raise ProjectError("项目已有资金分配，请先撤回分配", "reason")
    _lock(project)
    _totals(project, -1)
    project.state, project.note = State.WITHDRAWN.value, reason
    db.session.flush()
    pagecache.changed("projects", project.region_code)
    ledger.append(ledger.Pending("project", project.id, project.version, "withdraw",
                                 project_data(project), reason))
    record("project_withdrawn", actor, "project", project.id, project.region_code, reason)
    indexing.reindex_projects([project])
    db.session.commit()
    return project


def funding_changed(project: Project, funded: Decimal = Decimal(0),
                    spent: Decimal = Decimal(0)) -> None:
    """Called by the funds services inside their transaction (after the fund's row lock)."""
    db.session.execute(update(Project).where(Project.id == project.id)
                       .values(funded=Project.funded + funded, spent=Project.spent + spent)
                       .execution_options(synchronize_session=False))
    rollup.apply(ProjectTotal, {"year": project.year, "category": project.category,
                                "stage": project.stage}, project.region_code,
                 {"funded": funded, "spent": spent})
    db.session.expire(project, ["funded", "spent"])
