"""Rate limits guard submissions; reading a page never spends or checks one."""

from __future__ import annotations

import pytest
from flask import Flask

from sunshine import create_app
from sunshine.extensions import limiter


@pytest.fixture
def limited_app(tmp_path) -> Flask:
    app = create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": "t" * 40, "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'l.sqlite'}",
                      "RATELIMIT_ENABLED": True, "SEARCH_INDEX_DIR": str(tmp_path / "ix")})

    @limiter.limit("2 per minute")  # every method, as a route may declare it
    def form() -> str:
        return "ok"

    app.add_url_rule("/test-limited", "test_limited", form, methods=["GET", "POST"])
    return app


def test_gets_are_never_limited_posts_are(limited_app) -> None:
    client = limited_app.test_client()
    assert [client.get("/test-limited").status_code for _ in range(5)] == [200] * 5
    assert [client.post("/test-limited").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/test-limited").status_code == 200
