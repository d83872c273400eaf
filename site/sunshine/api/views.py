"""API index and the OpenAPI description; feature endpoints live with their features."""

from __future__ import annotations

from flask import jsonify
from werkzeug.wrappers import Response

from sunshine.api import bp
from sunshine.api.openapi import build_spec


@bp.get("/")
def index() -> Response:
    return jsonify(openapi="/api/v1/openapi.json",
                   endpoints=sorted(build_spec()["paths"].keys()))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(build_spec())
