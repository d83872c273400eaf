"""Site search: the only package that imports Whoosh. It owns the schema and the analyzer, and
the outbox through which each application node's index follows the database."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register the search page, its suggestions, the synonyms' back office, their demo list,
    ``sunshine search``, the outbox's tables and thread and its rows for region renames; the
    features register what it indexes."""
    from sunshine.search import admin, cli, follow, outbox, synonyms, views  # noqa: F401

    reg = registry(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(synonyms.ACTION_LABELS)
    reg.add_demo_step("search", synonyms.load_demo_groups)
    reg.add_rename_listener(outbox.regions_renamed)
    app.cli.add_command(cli.search_cli)
    follow.init_app(app)
