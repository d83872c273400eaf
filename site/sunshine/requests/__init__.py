"""依申请公开: requests for information an office has not published, the legal clock, the answers
the regulation names, and the public archive."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry
from sunshine.tracked import sealing


def init_app(app: Flask) -> None:
    """Check the privacy settings; register the request pages, feed, API and back office,
    search, the sitemap, the API description, the audit labels, the demo step, a listener for
    region renames and ``sunshine requests``."""
    from sunshine.accounts.models import Role
    from sunshine.requests import (  # noqa: F401  (models, files: tables; *_views: routes on bp)
        admin,
        api,
        attachment_views,
        attachments,
        cli,
        demo,
        files,
        handling,
        indexing,
        models,
        openapi,
        report_views,
        views,
    )

    sealing.check_config(app.config)
    reg = registry(app)
    for blueprint in (views.bp, views.feeds_bp, api.api_bp, admin.bp):
        app.register_blueprint(blueprint)
    reg.add_search_source("request", indexing.request_documents)
    reg.add_search_loader("request", indexing.load_documents)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(handling.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_audit_labels(attachments.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_audit_labels(handling.OVERSIGHT_LABELS, readers=[Role.OVERSIGHT])
    reg.add_tiles(admin.dashboard_tiles)
    reg.add_sitemap(views.sitemap_entries)
    reg.add_openapi_paths(openapi.PATHS)
    reg.add_demo_step("requests", demo.make_requests)
    reg.add_rename_listener(views.regions_renamed)
    app.cli.add_command(cli.requests_cli)
