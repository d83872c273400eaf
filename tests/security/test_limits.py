"""Rate limits guard submissions; reading a page never spends or checks one. The counts are
kept in the database, so that every worker process (and node) shares them."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from sunshine import create_app
from sunshine.extensions import db, limiter
from tests.apps import make_config

pytestmark = pytest.mark.postgres


@pytest.fixture
def limited_app(tmp_path) -> Flask:
    app = create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": "t" * 40, "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'l.sqlite'}",
                      "RATELIMIT_ENABLED": True, "SEARCH_INDEX_DIR": str(tmp_path / "ix"),
                      "SEARCH_APPLY_THREAD": False})
    with app.app_context():
        db.create_all()

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


def _worker_posts(config: dict[str, Any], times: int) -> list[int]:
    """One worker process: its own app on the shared database, posting to /register."""
    app = create_app(config)
    client = app.test_client()
    statuses = [client.post("/register", data={}).status_code for _ in range(times)]
    with app.app_context():
        db.engine.dispose()
    return statuses


def test_limits_hold_across_worker_processes(app: Flask, tmp_path: Path) -> None:
    """/register takes 10 posts an hour from an address: ten in one worker leave none for the
    next, as behind gunicorn with several workers."""
    config = make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"],
                         RATELIMIT_ENABLED=True)
    db.engine.dispose()  # the workers write to the same database
    workers = multiprocessing.get_context("spawn")
    with workers.Pool(1) as first, workers.Pool(1) as second:
        assert first.apply(_worker_posts, (config, 10)) == [400] * 10
        assert second.apply(_worker_posts, (config, 1)) == [429]


def test_counts_are_rows_of_the_database(app: Flask) -> None:
    from sunshine.ratelimit import DatabaseStorage, RateLimitCounter

    storage = DatabaseStorage()
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get("other") == 0
    assert storage.get_expiry("k") > storage.get_expiry("other")
    long_key = "address/" + "x" * 500
    assert storage.incr(long_key, 60, amount=2) == 2 and storage.get(long_key) == 2
    assert db.session.query(RateLimitCounter).count() == 2
    storage.incr("ended", 0)  # a window that is already over starts again at its next hit
    assert storage.incr("ended", 60) == 1
    storage.clear("ended")
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()
    assert storage.reset() == 1
