"""News (扶贫动态) and policy guides (政策导航): Markdown files and back-office articles."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register news, policies, their feeds, API and back office, search, sitemap, API description,
    demo step and ``sunshine content``."""
    from sunshine.content import admin, cli, demo, indexing, models, openapi, views  # noqa: F401

    reg = registry(app)
    for blueprint in (views.news_bp, views.policies_bp, views.feeds_bp, views.api_bp, admin.bp):
        app.register_blueprint(blueprint)
    reg.add_search_source("news", indexing.news_documents)
    reg.add_search_source("policy", indexing.policy_documents)
    reg.add_search_loader("article", indexing.load_documents)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(admin.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_tiles(admin.dashboard_tiles)
    reg.add_sitemap(views.sitemap_entries)
    reg.add_openapi_paths(openapi.PATHS)
    reg.add_demo_step("content", demo.load_articles)
    app.cli.add_command(cli.content_cli)
