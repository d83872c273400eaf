"""Back office for projects: drafts, publishing, corrections, progress and lifecycle steps,
withdrawal, deadlines on the dashboard. Region scoped like the funds."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from sunshine.accounts.models import User
from sunshine.accounts.permissions import region_scope, staff_required
from sunshine.clock import today
from sunshine.extensions import db
from sunshine.forms import show_error
from sunshine.guard import PersonalDataFound
from sunshine.projects import services
from sunshine.projects.forms import ProgressForm, ProjectForm
from sunshine.projects.models import Project, ProjectUpdate
from sunshine.records import ledger
from sunshine.records import views as record_views
from sunshine.records.checks import RecordError
from sunshine.records.deadlines import deadline_counts, warning_day
from sunshine.records.models import State
from sunshine.records.views import WORKERS, guard
from sunshine.registry import Section, Tile
from sunshine.web import page_arg, render_form_page

bp = Blueprint("admin_projects", __name__, url_prefix="/admin/projects")
SECTION = Section("项目管理", "admin_projects.index", frozenset(r.value for r in WORKERS))
#: Labels of this feature's audit-log actions, registered by its ``init_app``.
ACTION_LABELS = {
    "project_created": "新建项目草稿", "project_updated": "修改项目草稿",
    "project_published": "公开项目", "project_corrected": "更正项目",
    "project_progress": "发布项目进展", "project_withdrawn": "撤回项目",
}


PROJECT = record_views.RecordKind(
    "project", "admin_projects.manage", "project_id", create=services.create_project,
    correct=services.correct_project, update_draft=services.update_draft,
    publish=services.publish_project, withdraw=services.withdraw_project)


def _project(project_id: int) -> Project:
    project = db.get_or_404(Project, project_id)
    guard("project", project.id, project.region_code)
    return project


def _count(text: str | None) -> int:
    return int(text) if text else 0


def fields_from(form: ProjectForm) -> services.ProjectFields:
    return services.ProjectFields(
        name=form.name.data or "", category=form.category.data,
        region_code=(form.region_code.data or "").strip(), year=int(form.year.data),
        budget=form.budget.valid_amount,
        implementing_unit=form.implementing_unit.data or "",
        responsible_role=form.responsible_role.data or "", summary=form.summary.data or "",
        targets=form.targets.data or "", mechanism=form.mechanism.data or "",
        beneficiary_households=_count(form.beneficiary_households.data),
        beneficiary_people=_count(form.beneficiary_people.data),
        beneficiary_poor_households=_count(form.beneficiary_poor_households.data),
        approved_on=form.approved_on.data, planned_start=form.planned_start.data,
        planned_end=form.planned_end.data, actual_start=form.actual_start.data,
        actual_end=form.actual_end.data, stage=form.stage.data or "申报")


@bp.get("/")
@staff_required(*WORKERS)
def index() -> str:
    """Projects of the user's region, drafts by deadline first."""
    from flask import render_template

    state = request.args.get("state")
    query = select(Project).where(region_scope(current_user, Project.region_code))
    if state in {s.value for s in State}:
        query = query.where(Project.state == state)
    query = query.order_by(Project.updated_at.desc(), Project.id.desc())
    page = db.paginate(query, page=page_arg(), per_page=30, error_out=False)
    return render_template("projects/admin/index.html", page=page, state=state,
                           states=list(State), today=today(), warn=warning_day())


@bp.route("/new", methods=["GET", "POST"])
@staff_required(*WORKERS)
def new() -> Response | tuple[str, int]:
    """A new project, saved as a draft (and published at once if asked)."""
    return record_views.new(PROJECT, ProjectForm(), fields_from, "新建项目")


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@staff_required(*WORKERS)
def edit(project_id: int) -> Response | tuple[str, int]:
    """Change a draft, or correct a published project (a new version with a reason)."""
    project = _project(project_id)
    if project.state == State.WITHDRAWN.value:
        abort(404)
    form = ProjectForm(obj=project if request.method == "GET" else None)
    published = project.state == State.PUBLISHED.value
    if published:
        del form.stage
    if request.method == "GET":
        form.year.data, form.budget.data = str(project.year), str(project.budget)
        for name in ("beneficiary_households", "beneficiary_people",
                     "beneficiary_poor_households"):
            getattr(form, name).data = str(getattr(project, name))
    return record_views.edit(PROJECT, project, form, fields_from)


@bp.post("/<int:project_id>/publish")
@staff_required(*WORKERS)
def publish(project_id: int) -> Response:
    return record_views.publish(PROJECT, _project(project_id))


@bp.route("/<int:project_id>", methods=["GET", "POST"])
@staff_required(*WORKERS)
def manage(project_id: int) -> Response | tuple[str, int]:
    """One project: its progress updates, with the form to add one (and move its stage)."""
    project = _project(project_id)
    form = ProgressForm()
    if request.method == "GET":
        form.stage.data, form.on.data = project.stage, today()
    if form.validate_on_submit():
        try:
            photos = services.PHOTOS.read([form.photo.data])
            services.add_update(current_user, project, form.on.data, form.text.data,
                                form.stage.data, form.reason.data or "",
                                photo=photos[0] if photos else None)
        except (RecordError, PersonalDataFound) as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            flash("已发布进展，已写入公开记录", "success")
            return redirect(url_for("admin_projects.manage", project_id=project.id))
    updates = list(db.session.execute(select(ProjectUpdate).where(
        ProjectUpdate.project_id == project.id).order_by(ProjectUpdate.on.desc())).scalars())
    return render_form_page("projects/admin/manage.html", form=form, project=project,
                            updates=updates, history=ledger.history("project", project.id))


@bp.route("/<int:project_id>/withdraw", methods=["GET", "POST"])
@staff_required(*WORKERS)
def withdraw(project_id: int) -> Response | tuple[str, int]:
    return record_views.withdraw(PROJECT, _project(project_id))


def dashboard_tiles(user: User) -> list[Tile]:
    if user.role not in WORKERS:
        return []
    from sunshine.projects.models import Project as Model

    drafts, soon, late = deadline_counts(Model, user)
    url = url_for("admin_projects.index", state="draft")
    return [Tile("待公开的项目", drafts, url),
            Tile("项目即将到公开期限", soon, url, urgent=soon > 0),
            Tile("项目已逾期未公开", late, url, urgent=late > 0)]
