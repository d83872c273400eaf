"""扶贫数据: the private register of 建档立卡 households, its rollups, disclosure control and the
public statistics pages."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register the statistics pages, API and back office, the household importers, sitemap, API
    description, the demo step (the register), a listener for region renames, and
    ``sunshine stats``."""
    from sunshine.stats import admin, cli, demo, importer, models, openapi, views  # noqa: F401

    reg = registry(app)
    for blueprint in (views.bp, views.api_bp, admin.bp):
        app.register_blueprint(blueprint)
    reg.add_importer("households", importer.import_households)
    reg.add_importer("members", importer.import_members)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(admin.ACTION_LABELS, readers=admin.SECTION.roles)
    reg.add_tiles(admin.dashboard_tiles)
    reg.add_sitemap(views.sitemap_entries)
    reg.add_openapi_paths(openapi.PATHS)
    reg.add_demo_step("stats", demo.synthetic_register)
    reg.add_rename_listener(views.regions_renamed)
    app.cli.add_command(cli.stats_cli)
