"""Every public page is cheap in itself: with the page caches off, each GET rule of the URL map
answers from at most ``MAX_STATEMENTS`` SQL statements and never loads a relationship lazily
(a lazy load raises here), for an anonymous visitor and for a logged-in citizen.

The rules come from ``app.url_map`` (all but the back office and static files); each rule with
arguments needs a filler in tests/public_routes.py that picks real rows of the demo province,
so that a new rule fails here until it gets one. The demo has enough households for full list
pages, where a query per row would show. A streamed export reads its rows in keyset batches
while it is sent; those batches grow with the export and are reported, not counted in the
budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, request_finished
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState

from sunshine.extensions import db
from tests.apps import PASSWORD
from tests.public_routes import (
    CITIZEN,
    LOGGED_IN_REDIRECTS,
    OWN_PAGES,
    make_site,
    public_urls,
)

MAX_STATEMENTS = 8


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_site(tmp_path_factory.mktemp("queries"))
    yield app
    with app.app_context():
        db.engine.dispose()



# --- counting statements and catching lazy loads ---------------------------------------------


@dataclass
class Measure:
    statements: list[str] = field(default_factory=list)
    lazy_loads: list[str] = field(default_factory=list)
    answered: int | None = None  # statements before the response left the view
    refuse: bool = True

    def clear(self) -> None:
        self.statements.clear()
        self.lazy_loads.clear()
        self.answered = None


@contextmanager
def measuring(app: Flask) -> Iterator[Measure]:
    """Count every statement sent to the database, and make a lazy load raise."""
    current = Measure()

    def answered(sender: Flask, **extra: Any) -> None:
        current.answered = len(current.statements)

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            current.statements.append(statement)

    def refuse_lazy_load(state: ORMExecuteState) -> None:
        if state.is_select and state.lazy_loaded_from is not None:
            where = f"{state.lazy_loaded_from.class_.__name__}: {state.loader_strategy_path}"
            current.lazy_loads.append(where)
            if current.refuse:
                raise AssertionError(f"lazy load of {where}")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    event.listen(db.session, "do_orm_execute", refuse_lazy_load)
    request_finished.connect(answered, app)
    try:
        yield current
    finally:
        request_finished.disconnect(answered, app)
        event.remove(db.session, "do_orm_execute", refuse_lazy_load)
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture(scope="module")
def measure(site: Flask) -> Iterator[Measure]:
    with measuring(site) as current:
        yield current


@dataclass
class Visit:
    url: str
    status: int
    statements: list[str]  # until the view answered
    streamed: int  # statements while a streamed body was sent
    lazy_loads: list[str]
    expected: int = 200


def _visit(client: FlaskClient, url: str, measure: Measure) -> Visit:
    measure.clear()
    response = client.get(url)
    response.get_data()
    response.close()
    answered = len(measure.statements) if measure.answered is None else measure.answered
    return Visit(url, response.status_code, measure.statements[:answered],
                 len(measure.statements) - answered, list(measure.lazy_loads))


def _client(app: Flask, username: str | None) -> FlaskClient:
    client = app.test_client()
    if username:
        response = client.post("/login", data={"login": username, "password": PASSWORD})
        assert response.status_code == 302, f"{username} could not log in"
    return client


def _expected_status(endpoint: str, logged_in: bool) -> int:
    if endpoint in OWN_PAGES and not logged_in:
        return 302
    if endpoint in LOGGED_IN_REDIRECTS and logged_in:
        return 302
    return 200


def _crawl(app: Flask, measure: Measure, logged_in: bool) -> list[Visit]:
    """Every public rule once, as an anonymous visitor or as the page's logged-in citizen."""
    urls, unfilled = public_urls(app)
    assert not unfilled, "rules without a filler in tests/test_queries.py: " + ", ".join(unfilled)
    clients: dict[str | None, FlaskClient] = {}
    visits = []
    for endpoint, url in urls:
        owner = OWN_PAGES.get(endpoint, CITIZEN) if logged_in else None
        if owner not in clients:
            clients[owner] = _client(app, owner)
        visit = _visit(clients[owner], url, measure)
        visit.expected = _expected_status(endpoint, logged_in)
        visits.append(visit)
    return visits


def _problems(visit: Visit) -> list[str]:
    problems = []
    if visit.status != visit.expected:
        problems.append(f"answered {visit.status}, not {visit.expected}")
    if len(visit.statements) > MAX_STATEMENTS:
        problems.append(f"{len(visit.statements)} statements")
    problems += [f"lazy load of {where}" for where in visit.lazy_loads]
    return problems


def _report(visits: list[Visit]) -> str:
    worst = sorted(visits, key=lambda v: -len(v.statements))
    return "\n".join(f"{len(v.statements):3d} {v.url}"
                     + (f" (+{v.streamed} while streaming)" if v.streamed else "")
                     for v in worst[:15])


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "citizen"])
def test_every_public_page_is_cheap(site: Flask, measure: Measure, logged_in: bool) -> None:
    visits = _crawl(site, measure, logged_in)
    failing = [f"{v.url}: {', '.join(_problems(v))}" for v in visits if _problems(v)]
    assert not failing, (f"{len(failing)} of {len(visits)} pages are not cheap "
                         f"(at most {MAX_STATEMENTS} statements, no lazy load):\n"
                         + "\n".join(failing) + "\n\nmost statements:\n" + _report(visits))
