"""Regions: the province → city → county → town → village hierarchy with 12-digit codes."""

from __future__ import annotations

from flask import Flask

from sunshine.registry import registry


def init_app(app: Flask) -> None:
    """Register the region API, its API description, the region search source and loader and
    the importer."""
    from sunshine.regions import models, openapi, search, services, views  # noqa: F401  (models)

    reg = registry(app)
    app.register_blueprint(views.bp)
    reg.add_search_source("region", search.region_documents)
    reg.add_search_loader("region", search.load_documents)
    reg.add_importer("regions", services.import_regions)
    reg.add_openapi_paths(openapi.PATHS)
