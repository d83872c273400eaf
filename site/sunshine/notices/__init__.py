"""公示公告: notices of identification, exit, monitoring, projects and funds, objections (异议)
during the notice period, the result announcement and the printable page."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import FollowTopic, registry


def init_app(app: Flask) -> None:
    """Register the notice pages, feed, API and back office, search, sitemap, the API description,
    notices as a complaint target (objections) and the demo step."""
    from sunshine.notices import (  # noqa: F401  (models: tables in metadata)
        admin,
        api,
        demo,
        indexing,
        models,
        objections,
        openapi,
        services,
        views,
    )

    reg = registry(app)
    for blueprint in (views.bp, views.feeds_bp, api.api_bp, admin.bp):
        app.register_blueprint(blueprint)
    reg.add_search_source("notice", indexing.notice_documents)
    reg.add_search_loader("notice", indexing.load_documents)
    reg.add_complaint_target("notice", objections.notice_label)
    reg.add_follow_topic(FollowTopic("notice", objections.notice_label))
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(services.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_tiles(admin.dashboard_tiles)
    reg.add_sitemap(api.sitemap_entries)
    reg.add_openapi_paths(openapi.PATHS)
    reg.add_demo_step("notices", demo.make_notices)
