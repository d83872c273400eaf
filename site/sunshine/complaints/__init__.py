"""投诉举报 / 意见建议 / 满意度评价: cases with private tracking codes."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import FollowTopic, registry
from sunshine.tracked import sealing


def init_app(app: Flask) -> None:
    """Check the privacy settings; register the complaint pages, API and back office, the answers in
    search and the sitemap, the API description, the demo step and ``sunshine complaints``."""
    from sunshine.accounts.models import Role
    from sunshine.complaints import (  # noqa: F401  (models: tables; stats_views: routes on bp)
        admin,
        cli,
        demo,
        followup,
        indexing,
        models,
        openapi,
        stats_views,
        views,
    )

    sealing.check_config(app.config)
    reg = registry(app)
    for blueprint in (views.bp, views.api_bp, admin.bp):
        app.register_blueprint(blueprint)
    reg.add_search_source("case", indexing.case_documents)
    reg.add_search_loader("case", indexing.load_documents)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(admin.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_audit_labels(admin.OVERSIGHT_LABELS, readers=[Role.OVERSIGHT])
    reg.add_tiles(admin.dashboard_tiles)
    reg.add_sitemap(views.sitemap_entries)
    reg.add_openapi_paths(openapi.PATHS)
    reg.add_demo_step("complaints", demo.make_cases)
    reg.add_follow_topic(FollowTopic("complaint", followup.follow_label, signed=True))
    reg.add_mail_job("complaint_followup", followup.queue_followups)
    app.cli.add_command(cli.complaints_cli)
