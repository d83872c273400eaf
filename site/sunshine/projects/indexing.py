"""Published projects in site search: the source for a rebuild, and updates after commits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import current_app
from sqlalchemy import select

from sunshine.extensions import db
from sunshine.projects.models import Project
from sunshine.records.models import State
from sunshine.registry import SearchDoc
from sunshine.search.index import update


def document(project: Project) -> SearchDoc:
    """Only public fields; the responsible person is a role title, never a name or phone."""
    body = " ".join([project.category, project.stage, f"{project.year}年",
                     project.region.name if project.region else "", project.implementing_unit,
                     project.summary, project.targets, project.mechanism])
    return SearchDoc(id=f"project:{project.id}", type="project", title=project.name, body=body,
                     url=project.url, region_code=project.region_code,
                     date=(project.approved_on or project.created_at.date()).isoformat())


def project_documents() -> Iterator[SearchDoc]:
    query = select(Project).where(Project.state == State.PUBLISHED.value).order_by(Project.id)
    for project in db.session.execute(query.execution_options(yield_per=1000)).scalars():
        yield document(project)


def reindex_projects(projects: Iterable[Project]) -> None:
    projects = list(projects)
    if not projects:
        return
    update(current_app.config["SEARCH_INDEX_DIR"],
           [document(p) for p in projects if p.state == State.PUBLISHED.value],
           [f"project:{p.id}" for p in projects if p.state != State.PUBLISHED.value])
