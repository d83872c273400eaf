"""openapi.json against the URL map and the answers: every /api/v1 rule is described, every
described path answers what it says, and the document is valid OpenAPI 3.1."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from sunshine.demo.services import build_demo
from tests.apps import PASSWORD

IGNORED_METHODS = {"HEAD", "OPTIONS"}
MISSING_ID = 2_000_000_000
UNKNOWN_CODE = "999999999999"


def _openapi_path(rule: str) -> str:
    """/api/v1/funds/<int:fund_id> -> /api/v1/funds/{id}: the document names every id ``id``."""
    path = re.sub(r"<(?:[a-z]+:)?[a-z_]*id>", "{id}", rule)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", path)


def _spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_every_api_rule_is_described_with_its_methods(app: Flask, client: FlaskClient) -> None:
    paths = _spec(client)["paths"]
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")]
    assert rules
    undescribed = []
    for rule in rules:
        path = _openapi_path(rule.rule)
        methods = {m.lower() for m in rule.methods or set()} - {m.lower() for m in IGNORED_METHODS}
        described = set(paths.get(path, {})) & {"get", "post", "put", "patch", "delete"}
        if not methods <= described:
            undescribed.append(f"{rule.rule} {sorted(methods - described)}")
    assert undescribed == []
    # Nothing described that the site does not answer.
    assert set(paths) == {_openapi_path(r.rule) for r in rules}


def test_the_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    spec = _spec(client)
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_index_lists_every_described_path(client: FlaskClient) -> None:
    index = client.get("/api/v1/").get_json()
    assert index["endpoints"] == sorted(_spec(client)["paths"])


def _first_error(spec: dict[str, Any], schema: dict[str, Any], instance: Any) -> Any:
    """The most telling way ``instance`` breaks ``schema``, or None.

    The schema is checked as if it were the document's root, so that its
    ``#/components/schemas/...`` references resolve in the document.
    """
    return best_match(OAS31Validator({**spec, **schema}).iter_errors(instance))


def _fill(path: str, client: FlaskClient, app: Flask) -> str:
    """The path with real values: an id from the first item of the matching list."""
    if "{code}" in path:
        return path.replace("{code}", app.config["PROVINCE_CODE"])
    if "{id}" in path:
        listing = client.get(path.split("/{id}")[0]).get_json()
        assert listing and listing.get("items"), f"no row to fill {path} with"
        path = path.replace("{id}", str(listing["items"][0]["id"]))
    assert "{" not in path, f"the test cannot fill {path}"
    return path


def test_every_described_path_answers_its_documented_schema(app: Flask,
                                                             client: FlaskClient) -> None:
    build_demo(households=10, seed=1, password=PASSWORD)
    spec = _spec(client)
    for path, item in spec["paths"].items():
        operation = item["get"]
        url = _fill(path, client, app)
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.is_json, url
        data = response.get_json()
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        missing = set(schema.get("required", [])) - set(data)
        assert not missing, f"{url} lacks {sorted(missing)}"
        error = _first_error(spec, schema, data)
        assert error is None, f"{url}: {error.message} at {list(error.absolute_path)}"
        if "404" in operation["responses"]:
            answer = client.get(_missing(path))
            assert answer.status_code == 404, path
            assert _first_error(spec, operation["responses"]["404"]["content"][
                "application/json"]["schema"], answer.get_json()) is None, path


def _missing(path: str) -> str:
    """A request for something that is not there: an unknown id, code or ?region=."""
    if "{id}" in path:
        return path.replace("{id}", str(MISSING_ID))
    if "{code}" in path:
        return path.replace("{code}", UNKNOWN_CODE)
    return f"{path}?region={UNKNOWN_CODE}"
