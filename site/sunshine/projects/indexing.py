"""Published projects in site search: the source for a rebuild, the loader of the search
outbox, and the outbox rows each change adds to its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.projects.models import Project
from sunshine.records.models import State
from sunshine.registry import SearchDoc
from sunshine.search.outbox import changed


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


def load_documents(keys: list[str]) -> Iterator[SearchDoc]:
    """The published projects among these ids."""
    query = select(Project).where(Project.id.in_([int(k) for k in keys]),
                                  Project.state == State.PUBLISHED.value)
    for project in db.session.execute(query).scalars():
        yield document(project)


def reindex_projects(projects: Iterable[Project]) -> None:
    """Before the commit: published projects are to be (re)indexed, the others removed."""
    projects = list(projects)
    changed([f"project:{p.id}" for p in projects if p.state == State.PUBLISHED.value],
            [f"project:{p.id}" for p in projects if p.state != State.PUBLISHED.value])
