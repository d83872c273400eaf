"""Projects (扶贫项目): lifecycle, budget, funding, beneficiaries and progress updates."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import FollowTopic, registry


def init_app(app: Flask) -> None:
    """Register the project pages, API and back office, search, importer, the public record's
    project types, the sitemap and the API description; the funds demo step builds the demo
    projects."""
    from sunshine.projects import (  # noqa: F401  (models: tables in metadata)
        admin,
        importing,
        indexing,
        models,
        openapi,
        queries,
        records,
        views,
    )

    reg = registry(app)
    for blueprint in (views.bp, views.api_bp, admin.bp):
        app.register_blueprint(blueprint)
    reg.add_search_source("project", indexing.project_documents)
    reg.add_complaint_target("project", queries.complaint_label)
    reg.add_follow_topic(FollowTopic("project", queries.complaint_label))
    reg.add_search_loader("project", indexing.load_documents)
    reg.add_importer("projects", importing.import_projects)
    for record_type in records.RECORD_TYPES:
        reg.add_record_type(record_type)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(admin.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_tiles(admin.dashboard_tiles)
    reg.add_sitemap(views.sitemap_entries)
    reg.add_openapi_paths(openapi.PATHS)
