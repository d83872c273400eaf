"""Site search: the only package that imports Whoosh. It owns the schema and the analyzer."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register the search page, its suggestions, the synonyms' back office, their demo list and
    ``sunshine search``; the features register what it indexes."""
    from sunshine.search import admin, cli, synonyms, views

    reg = registry(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    reg.add_section(admin.SECTION)
    reg.add_audit_labels(synonyms.ACTION_LABELS)
    reg.add_demo_step("search", synonyms.load_demo_groups)
    app.cli.add_command(cli.search_cli)
