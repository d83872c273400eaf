"""Site search: the only package that imports Whoosh. It owns the schema and the analyzer."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the search page; the features register what it indexes."""
    from sunshine.search import views

    app.register_blueprint(views.bp)
