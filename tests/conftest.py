"""Fixtures: the site on a fresh database per test (SQLite, or PostgreSQL with --postgres), a
temporary search index and upload folder, a client, and small helpers to log in.

Two things keep this quick. The schema is made once per session and each test gets a copy of it
(a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL): a real database of its
own, so tests may commit, open more connections or fork. And tests with the same ``app_config``
share one Flask app, made as new before each test (configuration, cached pages, rate-limit
counts, folders), since create_app and the first render of each template cost more than most
tests. A test that adds routes or hooks to the app is marked ``own_app`` and gets one of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from sunshine import create_app
from sunshine.extensions import db
from tests.apps import (
    PASSWORD,
    Databases,
    IsolatedClient,
    SharedApp,
    make_config,
    shared_setup,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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
                     help="run the tests marked postgres against a throwaway PostgreSQL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The SQLite run leaves out ``postgres_only``; the PostgreSQL run keeps what is marked
    ``postgres`` or ``postgres_only`` and not ``sqlite_only``. Left out means deselected, not
    skipped: under CI nothing is skipped."""
    if config.getoption("--postgres"):
        def keep(item: pytest.Item) -> bool:
            return (item.get_closest_marker("sqlite_only") is None
                    and (item.get_closest_marker("postgres") is not None
                         or item.get_closest_marker("postgres_only") is not None))
    else:
        def keep(item: pytest.Item) -> bool:
            return item.get_closest_marker("postgres_only") is None
    deselected = [i for i in items if not keep(i)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if keep(i)]


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    from tests import pg_server as pg

    try:
        server = pg.start()
    except RuntimeError as exc:
        need(False, str(exc))
    yield server
    server.stop()


#: Memory-backed where there is one: SQLite syncs the file at every commit, ~5 ms on a disk.
MEMORY_FOLDER = Path("/dev/shm")


@pytest.fixture(scope="session")
def databases(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    server = request.getfixturevalue("pg_server") if request.config.getoption("--postgres") \
        else None
    if server is None and MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="sunshine-tests-", dir=MEMORY_FOLDER))
    else:
        folder = tmp_path_factory.mktemp("databases")
    yield Databases(folder, server)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database_url(databases: Databases) -> str:
    """A new, empty database (no schema), for a test that makes its own app."""
    return databases.empty(databases.new_name("empty"))


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change the configuration of ``app``."""
    return {}


@pytest.fixture(scope="session")
def shared_apps() -> dict[str, SharedApp]:
    return {}


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path, databases: Databases,
        app_config: dict[str, Any], shared_apps: dict[str, SharedApp]) -> Iterator[Flask]:
    if request.node.get_closest_marker("own_app") is not None:
        url = databases.with_schema(databases.new_name("own"))
        app = create_app(make_config(tmp_path, url, **app_config))
        app.test_client_class = IsolatedClient
        shared = None
    else:
        key = repr(sorted(app_config.items()))
        shared = shared_apps.get(key)
        if shared is None:
            folder = request.getfixturevalue("tmp_path_factory").mktemp("app")
            shared = shared_apps[key] = SharedApp.make(databases, folder, app_config)
        shared.renew(databases, tmp_path)
        app = shared.app
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if shared is not None and shared_setup(app) != shared.setup:
        del shared_apps[key]
        pytest.fail("the test changed the routes or hooks of a shared app: mark it own_app")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def sample_regions(province: str) -> dict[str, str]:
    """Codes to test with in ``province``: its first city, two of that city's counties, a county
    of the second city, and a synthetic town and village (450100000000, 450102000000,
    450103000000, 450203000000, 450102101000, 450102101201 in Guangxi); ``<key>_name`` gives
    the real ones' names (``county_name`` is 兴宁区 in Guangxi)."""
    from sunshine.regions import codes
    from sunshine.regions.services import builtin_rows

    names = {r.code: r.name for r in builtin_rows(province)}
    cities = [c for c in names if codes.level_of(c) == 2]
    first, second = ([c for c in names if codes.parent_of(c) == city] for city in cities[:2])
    town = first[0][:6] + "101000"
    sample = {"province": province, "city": cities[0], "county": first[0],
              "other_county": first[1], "far_city": cities[1], "far_county": second[1],
              "town": town, "village": town[:9] + "201"}
    sample.update({f"{key}_name": names[code] for key, code in list(sample.items())
                   if code in names})
    return sample


#: The province the tests run in: Guangxi unless SUNSHINE_PROVINCE_CODE (which the test apps
#: read too) names another, e.g. 530000000000 for Yunnan. Test data modules take codes from here.
PROVINCE = os.environ.get("SUNSHINE_PROVINCE_CODE", "45").strip().ljust(12, "0")
SAMPLE = sample_regions(PROVINCE)
#: The first six digits of the sample county and of the other county, for synthetic towns and
#: villages under them (``f"{COUNTY_PREFIX}101201"`` is the sample village).
COUNTY_PREFIX, OTHER_PREFIX = SAMPLE["county"][:6], SAMPLE["other_county"][:6]


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


@pytest.fixture
def client_for(app: Flask) -> Callable[..., FlaskClient]:
    """client_for(username, password=PASSWORD, remember=False): a new client, logged in."""

    def make(username: str, password: str = PASSWORD, remember: bool = False,
             **kwargs: Any) -> FlaskClient:
        client = app.test_client(**kwargs)
        data = {"login": username, "password": password}
        if remember:
            data["remember"] = "y"
        response = client.post("/login", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return client

    return make


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cheap password hash in every test: scrypt costs 50-100 ms a hash, and most tests make
    accounts. tests/security/test_accounts.py checks that real passwords get scrypt."""
    from sunshine.accounts import services as account_services

    monkeypatch.setattr(account_services, "HASH_METHOD", "pbkdf2:sha256:1")


def apply_search(app: Flask) -> Any:
    """Apply the search outbox to the test's index, as each server's thread does within a
    second of a commit; call it between a change and a search. A test's index starts empty at
    the outbox's first row (a server's is rebuilt), so a search finds only what the outbox
    named: a change that forgets its outbox row fails the test."""
    from sunshine.search import node

    with app.app_context():
        where = node.folder()
        if node.Position.load(where) is None:
            node.Position(0, [], time.time()).save(where)
        return node.apply_pending()


def started_token(app: Flask, salt: str, seconds_ago: int = 60) -> str:
    """A public form's signed start time (``salt`` is the form's), as if the form had been
    opened ``seconds_ago``: forms sent back too quickly are refused as automated."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt,
                                  signer=Signer).dumps("start")


def code_from(page: str) -> str:
    """The tracking code shown on the page after a complaint or an objection is sent."""
    marker = 'id="tracking-code">'
    start = page.index(marker) + len(marker)
    return page[start:page.index("<", start)].strip()


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
