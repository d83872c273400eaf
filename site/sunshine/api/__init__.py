"""The read-only public JSON API under /api/v1/: its index and OpenAPI document. The feature
endpoints live with their features, which describe them in the app's registry."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register the API index and openapi.json, with the paths described here."""
    from sunshine.api import openapi, views

    app.register_blueprint(views.bp)
    registry(app).add_openapi_paths(openapi.PATHS)
