"""Funds (资金下达 and 资金支出): allocations, their lines and spending."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register the fund pages, API and back office, search, importers, the public record's fund
    types, sitemap, the API description, what projects show of their funding, and the demo step (it
    builds the demo's funds and projects together)."""
    from sunshine.funds import (  # noqa: F401  (models: tables in metadata)
        admin,
        demo,
        importing,
        indexing,
        models,
        openapi,
        queries,
        records,
        views,
    )
    from sunshine.projects.queries import provide_funding

    reg = registry(app)
    for blueprint in (views.bp, views.api_bp, admin.bp):
        app.register_blueprint(blueprint)
    reg.add_search_source("fund", indexing.fund_documents)
    reg.add_complaint_target("fund", queries.complaint_label)
    reg.add_search_loader("fund", indexing.load_documents)
    reg.add_importer("funds", importing.import_funds)
    reg.add_importer("spending", importing.import_spending)
    for record_type in records.RECORD_TYPES:
        reg.add_record_type(record_type)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(admin.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_tiles(admin.dashboard_tiles)
    reg.add_sitemap(views.sitemap_entries)
    reg.add_openapi_paths(openapi.PATHS)
    provide_funding(app, queries.project_funding)  # project pages show the money they got
    reg.add_demo_step("funds", demo.make_funds_and_projects)
