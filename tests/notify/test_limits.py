"""Follow requests are rate-limited per visitor: a script cannot make the site mail
confirmation requests to a list of addresses."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import SAMPLE

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "NOTIFY_FOLLOW_LIMIT": "2 per minute"}


def test_the_follow_form_is_limited_per_visitor(app: Flask, regions: dict[str, str],
                                                client: FlaskClient) -> None:
    data = {"topic": "region", "key": SAMPLE["village"], "mode": "immediate"}
    for n in range(2):
        answer = client.post("/notify/follow", data={**data, "email": f"v{n}@example.cn"})
        assert answer.status_code == 200
    refused = client.post("/notify/follow", data={**data, "email": "v9@example.cn"})
    assert refused.status_code == 429
    assert client.post("/notify/manage", data={"email": "v9@example.cn"}).status_code == 429
