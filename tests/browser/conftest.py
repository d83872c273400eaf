"""Browser quality gates: a live server with the demo province, the session's one headless
Chromium (the ``browser`` fixture of tests/conftest.py), and pages that can only reach 127.0.0.1.

Everything optional (Chromium, node_modules/ from ``npm ci``, Java) skips when missing, and fails
under CI=true (see ``need`` in tests/conftest.py).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.apps import PASSWORD, make_config
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


ADMIN_USER = "admin"


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:PORT, without a trailing slash
    app: Any


def _buffered(app: Any) -> Callable[..., list[bytes]]:
    """Read each response whole and close it before the server writes a byte.

    werkzeug's development server skips the response's close() when the client drops the
    connection first (Chromium cancels a favicon or stylesheet when a test moves on), which leaves
    a static file open: a ResourceWarning, an error under ``-W error``.
    """

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo province (200 households, seed 1) served by werkzeug on a free loopback port."""
    from werkzeug.serving import make_server

    from sunshine import create_app
    from sunshine.demo.services import build_demo
    from sunshine.extensions import db
    from sunshine.search import index as search_index

    tmp = tmp_path_factory.mktemp("live")
    config = make_config(tmp, f"sqlite:///{tmp / 'live.sqlite'}",
                         WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
    app = create_app(config)
    with app.app_context():
        db.create_all()
        build_demo(households=200, seed=1, password=PASSWORD)
        search_index.rebuild(app.config["SEARCH_INDEX_DIR"])
        db.session.remove()

    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@dataclass
class PageProblems:
    """What went wrong while a page was open: console errors, page errors, blocked requests."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.console.clear()
        self.errors.clear()
        self.blocked.clear()

    def report(self) -> list[str]:
        return ([f"console error: {m}" for m in self.console]
                + [f"page error: {m}" for m in self.errors]
                + [f"request to another host blocked: {u}" for u in self.blocked])


def _local_only(base_url: str, problems: PageProblems) -> Callable[[Any], None]:
    prefix = base_url + "/"

    def handle(route: Any) -> None:
        url = route.request.url
        if url == base_url or url.startswith(prefix):
            route.continue_()
        else:
            problems.blocked.append(url)
            route.abort()

    return handle


@dataclass
class Tab:
    """A page of a browser context that watches for problems; one per context, reused."""

    page: Any
    problems: PageProblems
    base_url: str

    def goto(self, path: str) -> Any:
        self.problems.clear()
        return self.page.goto(self.base_url + path, wait_until="load")


@contextmanager
def _open_tab(browser: Any, base_url: str) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN",
                                  service_workers="block")
    page = context.new_page()
    problems = PageProblems()
    page.route("**/*", _local_only(base_url, problems))
    page.on("console", lambda msg: problems.console.append(
        f"{msg.text} ({msg.location.get('url', '')}:{msg.location.get('lineNumber', '')})")
        if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.errors.append(str(exc)))
    try:
        yield Tab(page=page, problems=problems, base_url=base_url)
    finally:
        page.unroute_all(behavior="ignoreErrors")
        context.close()


@pytest.fixture(scope="session")
def anon_tab(browser: Any, live_server: LiveServer) -> Iterator[Tab]:
    with _open_tab(browser, live_server.url) as tab:
        yield tab


@pytest.fixture(scope="session")
def admin_tab(browser: Any, live_server: LiveServer) -> Iterator[Tab]:
    """A context logged in as the province admin through the real login form (CSRF on)."""
    with _open_tab(browser, live_server.url) as tab:
        tab.goto("/login")
        tab.page.fill("#login", ADMIN_USER)
        tab.page.fill("#password", PASSWORD)
        with tab.page.expect_navigation():
            tab.page.click("main button[type=submit]")
        assert tab.page.url.rstrip("/").endswith("/admin"), \
            f"admin login did not reach the back office: {tab.page.url}"
        yield tab


@pytest.fixture(scope="session")
def axe_source() -> str:
    need(AXE_JS.exists(), f"{AXE_JS} is missing: run `npm ci` (or `make node`)")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vnu_jar() -> Path:
    need(VNU_JAR.exists(), f"{VNU_JAR} is missing: run `npm ci` (or `make node`)")
    need(shutil.which("java") is not None, "java is not installed (the Nu HTML checker needs it)")
    return VNU_JAR


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def html_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the raw HTML of each page goes for the Nu HTML checker."""
    return tmp_path_factory.mktemp("html")
