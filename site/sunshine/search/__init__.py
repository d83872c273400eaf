"""Site search: the only package that imports Whoosh. It owns the schema and the analyzer."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the search page and ``sunshine search``; the features register what it indexes."""
    from sunshine.search import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.search_cli)
