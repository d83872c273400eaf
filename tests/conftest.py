"""Fixtures: a fresh database per test (SQLite, or PostgreSQL with --postgres), a temporary
search index, a client, and small helpers to log in."""

from __future__ import annotations

import contextvars
import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sunshine import create_app
from sunshine.extensions import db

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct-horse-battery-9"


def need(condition: bool, why: str) -> None:
    """Skip when something optional is missing, except under CI=true, where it fails."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {why}")
    pytest.skip(why)


def shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    need(path.exists(), f"{path} is absent")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--postgres", action="store_true",
                     help="run model, service and CLI tests against a throwaway PostgreSQL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--postgres"):
        # PostgreSQL's own paths are deselected, not skipped: under CI nothing is skipped.
        elsewhere = [i for i in items if i.get_closest_marker("postgres_only") is not None]
        if elsewhere:
            config.hook.pytest_deselected(items=elsewhere)
            items[:] = [i for i in items if i not in elsewhere]
        return
    # The PostgreSQL run covers what touches the database directly: models, services, CLI.
    keep = ("test_services", "test_models", "test_cli", "test_postgres", "test_backup")
    selected = [i for i in items if i.path.stem.startswith(keep)
                and i.get_closest_marker("sqlite_only") is None]
    deselected = [i for i in items if i not in selected]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    from tests import pg_server as pg

    try:
        server = pg.start()
    except RuntimeError as exc:
        need(False, str(exc))
    yield server
    server.stop()


_counter = itertools.count()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.config.getoption("--postgres"):
        server = request.getfixturevalue("pg_server")
        return server.create_database(f"t{next(_counter)}")
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


def make_config(tmp_path: Path, database_url: str, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SUNSHINE_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "DEMO_PASSWORD": PASSWORD,
    }
    config.update(extra)
    return config


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change the configuration of ``app``."""
    return {}


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own application context, as under a server.

    The ``app`` fixture keeps an application context open for the whole test, and Flask reuses
    an open context for requests: ``g`` (Flask-Login's cached user, Flask-WTF's CSRF token)
    would otherwise leak from one request, and one client, to the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(tmp_path: Path, database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(make_config(tmp_path, database_url, **app_config))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def sample_regions(province: str) -> dict[str, str]:
    """Codes to test with in ``province``: its first city, two of that city's counties, a county
    of the second city, and a synthetic town and village (450100000000, 450102000000,
    450103000000, 450203000000, 450102101000, 450102101201 in Guangxi)."""
    from sunshine.regions import codes
    from sunshine.regions.services import builtin_rows

    found = [r.code for r in builtin_rows(province)]
    cities = [c for c in found if codes.level_of(c) == 2]
    first, second = ([c for c in found if codes.parent_of(c) == city] for city in cities[:2])
    town = first[0][:6] + "101000"
    return {"province": province, "city": cities[0], "county": first[0],
            "other_county": first[1], "far_county": second[1], "town": town,
            "village": town[:9] + "201"}


#: The province the tests run in: Guangxi unless SUNSHINE_PROVINCE_CODE (which the test apps
#: read too) names another, e.g. 530000000000 for Yunnan. Test data modules take codes from here.
PROVINCE = os.environ.get("SUNSHINE_PROVINCE_CODE", "45").strip().ljust(12, "0")
SAMPLE = sample_regions(PROVINCE)


@pytest.fixture
def regions(app: Flask) -> dict[str, str]:
    """The configured province's real cities and counties, plus synthetic towns and villages
    for two counties; returns ``sample_regions`` of the province."""
    import random

    from sunshine.regions import services

    sample = sample_regions(app.config["PROVINCE_CODE"])
    services.load_builtin_province(sample["province"])
    services.generate_demo_villages([sample["county"], sample["other_county"]], 2, 2,
                                    random.Random(1))
    db.session.commit()
    return sample


@pytest.fixture
def login(client: FlaskClient) -> Any:
    """login(username, password=PASSWORD) posts the login form and returns the response."""

    def do(username: str, password: str = PASSWORD) -> Any:
        return client.post("/login", data={"login": username, "password": password})

    return do


# --- shared attack data (../shared/data; skipped outside CI when absent) ---------------------


@pytest.fixture
def naughty_strings() -> list[str]:
    strings = json.loads(shared_data("naughty-strings", "blns.json").read_text(encoding="utf-8"))
    assert len(strings) > 500
    return strings


def payload_lines(name: str, more_than: int) -> list[str]:
    """The attack payloads of ``../shared/data/payloads/NAME``, one a line."""
    lines = shared_data("payloads", name).read_text(encoding="utf-8").splitlines()
    assert len(lines) > more_than
    return lines


@pytest.fixture
def xss_payloads() -> list[str]:
    return payload_lines("xss.txt", 200)


# --- one headless Chromium for the session (tests/browser and any other browser test) --------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session, with a fresh temporary profile."""
    need(CHROMIUM.exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        need(False, "the playwright package is not installed")
    with sync_playwright() as pw:
        # launch() gives Chromium a new temporary user-data-dir, removed when it closes.
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
