"""消费扶贫: sellers, farm-product listings, buyers' inquiries."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register the market pages, sellers' pages, API and back office, search, sitemap, the API
    description and the demo step."""
    from sunshine.market import (  # noqa: F401  (models: tables in metadata)
        admin,
        demo,
        indexing,
        models,
        openapi,
        sellers,
        views,
    )

    reg = registry(app)
    for blueprint in (views.bp, views.api_bp, sellers.bp, admin.bp):
        app.register_blueprint(blueprint)
    reg.add_search_source("product", indexing.product_documents)
    reg.add_search_loader("product", indexing.load_documents)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(admin.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_tiles(admin.dashboard_tiles)
    reg.add_sitemap(views.sitemap_entries)
    reg.add_openapi_paths(openapi.PATHS)
    reg.add_demo_step("market", demo.build)
