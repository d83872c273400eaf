"""The public shell: home page, crawler files, health check."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the home page, robots.txt, the sitemap and the health check."""
    from sunshine.public import views

    app.register_blueprint(views.bp)
