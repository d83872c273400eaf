"""API index and the OpenAPI description; feature endpoints live with their features."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from sunshine.api import bp
from sunshine.api.openapi import EXTENSION, PATHS, add_paths, build_spec


@bp.record_once
def _describe(state: BlueprintSetupState) -> None:
    add_paths(state.app, PATHS)


def _spec() -> dict[str, Any]:
    return build_spec(current_app.extensions.get(EXTENSION, {}))


@bp.get("/")
def index() -> Response:
    return jsonify(openapi="/api/v1/openapi.json", endpoints=sorted(_spec()["paths"]))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(_spec())
