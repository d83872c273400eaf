"""爱心帮扶: verified needs of registered households, donors' pledges that never over-fulfil a
need, and proof of delivery. Public at /help/, back office at /admin/matching/."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import FollowTopic, registry


def init_app(app: Flask) -> None:
    """Register the help pages, API and back office, search, sitemap, the API description and the
    demo step (needs of households of the demo register)."""
    from sunshine.matching import (  # noqa: F401  (models: tables in metadata)
        admin,
        api,
        demo,
        indexing,
        models,
        openapi,
        queries,
        views,
    )

    reg = registry(app)
    for blueprint in (views.bp, api.api_bp, admin.bp):
        app.register_blueprint(blueprint)
    reg.add_search_source("need", indexing.need_documents)
    reg.add_follow_topic(FollowTopic("need", queries.follow_label))
    reg.add_search_loader("need", indexing.load_documents)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(admin.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_tiles(admin.dashboard_tiles)
    reg.add_sitemap(api.sitemap_entries)
    reg.add_openapi_paths(openapi.PATHS)
    reg.add_demo_step("matching", demo.build)
