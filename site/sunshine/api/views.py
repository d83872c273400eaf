"""API index and the OpenAPI description; feature endpoints live with their features."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from sunshine.api.openapi import build_spec
from sunshine.pagecache.data import keep
from sunshine.registry import registry

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _spec() -> dict[str, Any]:
    return build_spec(registry().openapi_paths)


@bp.get("/")
@keep()  # the same until the site is deployed again (or the day changes)
def index() -> Response:
    return jsonify(openapi="/api/v1/openapi.json", endpoints=sorted(_spec()["paths"]))


@bp.get("/openapi.json")
@keep()
def openapi() -> Response:
    return jsonify(_spec())
