"""Case text in the back office: every staff role against every back-office page.

A complaint's or an objection's subject and text may be read only by those who may read the
case (``complaints.handling.can_read``: a reader role over the region that handles it; staff
of the unit complained about sit below it). On the demo province, each case gets a marker in
its subject and its text; then every account below (a staff member at each level, oversight,
editors, the administrator) opens every GET page of the back office, the pages of every case
and notice included, and no page may show a marker of a case its reader may not read.

The rules come from ``app.url_map``: a back-office rule with an argument that no filler below
can fill fails the test, so a new page is swept from the day it is added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from sunshine.accounts.models import Role, User
from sunshine.complaints import handling, services
from sunshine.complaints.models import Case, CasePhoto, Kind
from sunshine.content.models import Article
from sunshine.extensions import db
from sunshine.funds.models import Fund, FundLine, Spending
from sunshine.market.models import Listing, Seller
from sunshine.matching.models import Need
from sunshine.notices.models import Notice
from sunshine.projects.models import Project
from sunshine.regions import codes
from sunshine.requests.files import RequestFile
from sunshine.requests.models import InfoRequest
from sunshine.search.synonyms import SynonymGroup
from sunshine.stats.models import Household
from tests.apps import PASSWORD
from tests.complaints.conftest import submission
from tests.factories import make_user
from tests.images import jpeg
from tests.public_routes import make_site

MARK = re.compile(r"〔案(\d+)〕")


def _first(model: Any, column: Any = None) -> list[object]:
    value = db.session.scalars(select(column if column is not None else model.id)
                               .order_by(column if column is not None else model.id)
                               .limit(1)).first()
    return [] if value is None else [value]


def _cases() -> list[object]:
    """Every objection, and every third other case (the demo has cases in every state)."""
    rows = db.session.execute(select(Case.id, Case.kind).order_by(Case.id)).all()
    return [i for n, (i, kind) in enumerate(rows) if kind is Kind.OBJECTION or n % 3 == 0]


def _notices() -> list[object]:
    """Notices with an objection first, and a few others."""
    objected = {int(t) for t in db.session.scalars(select(Case.target_id).where(
        Case.kind == Kind.OBJECTION)) if t and t.isdigit()}
    ids = list(db.session.scalars(select(Notice.id).order_by(Notice.id)))
    return [i for i in ids if i in objected] + [i for i in ids if i not in objected][:3]


#: Argument name -> the values to try (real rows of the demo province).
FILLERS: dict[str, Callable[[], list[object]]] = {
    "case_id": _cases,
    "notice_id": _notices,
    "photo_id": lambda: _first(CasePhoto),
    "article_id": lambda: _first(Article),
    "fund_id": lambda: _first(Fund),
    "line_id": lambda: _first(FundLine),
    "spending_id": lambda: _first(Spending),
    "listing_id": lambda: _first(Listing),
    "seller_id": lambda: _first(Seller),
    "need_id": lambda: _first(Need),
    "project_id": lambda: _first(Project),
    "request_id": lambda: _first(RequestFile, RequestFile.request_id) or _first(InfoRequest),
    "file_id": lambda: _first(RequestFile, RequestFile.id),  # the demo's first file: the
    # lowest request with files holds it, as the demo attaches in the order of requests
    "group_id": lambda: _first(SynonymGroup),
    "archive": lambda: _first(Household),
    "code": lambda: [_objected_place()],
}


def _objected_place() -> str:
    """The region of the first objection: the accounts below sit on its path."""
    code = db.session.scalars(select(Case.region_code).where(Case.kind == Kind.OBJECTION)
                              .order_by(Case.id)).first()
    assert code is not None, "the demo has no objection"
    return code


def _accounts() -> list[str]:
    """A staff member at each level above the first objection's place (and the place itself),
    oversight and an editor for the province and for its county, and the administrator."""
    place = _objected_place()
    path = [*codes.ancestors_of(place), place]
    names = []
    for code in path:
        name = f"sweep-staff-{code}"
        make_user(name, Role.STAFF, code)
        names.append(name)
    county = next(code for code in path if codes.level_of(code) == 3)
    for role in (Role.OVERSIGHT, Role.EDITOR):
        for code in (path[0], county):
            make_user(f"sweep-{role.value}-{code}", role, code)
            names.append(f"sweep-{role.value}-{code}")
    return [*names, "admin"]


def _mark_cases() -> None:
    """A marker in every case's subject and text, which no other page text can hold."""
    for case in db.session.scalars(select(Case)):
        case.subject = f"{case.subject[:80]}〔案{case.id}〕"
        case.body = f"{case.body}〔案{case.id}〕"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, list[str]]]:
    app = make_site(tmp_path_factory.mktemp("case-text"))
    with app.app_context():
        # A case with a photo (the demo has none), about the place the accounts sit above.
        services.submit_case(submission(_objected_place(), photos=[jpeg()]))
        _mark_cases()
        accounts = _accounts()
        db.session.commit()
    yield app, accounts
    with app.app_context():
        db.engine.dispose()


def back_office_urls(app: Flask) -> tuple[list[str], list[str]]:
    """Every GET URL of the back office with its arguments filled, and the rules that could
    not be filled."""
    urls, unfilled = [], []
    with app.app_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if not rule.rule.startswith("/admin") or "GET" not in (rule.methods or ()):
                continue
            choices: list[dict[str, object]] = [{}]
            for name in sorted(rule.arguments):
                values = FILLERS[name]() if name in FILLERS else []
                if not values:
                    unfilled.append(f"{rule.rule} ({name})")
                    break
                choices = [{**c, name: v} for c in choices for v in values]
            else:
                urls += [re.sub(r"<(?:\w+:)?(\w+)>", lambda m, c=c: str(c[m.group(1)]),
                                rule.rule) for c in choices]
    return urls, unfilled


def test_case_text_only_for_those_who_may_read_the_case(site: tuple[Flask, list[str]]) -> None:
    app, accounts = site
    urls, unfilled = back_office_urls(app)
    assert not unfilled, "back-office rules without a filler: " + ", ".join(unfilled)
    problems: list[str] = []
    seen_text: dict[str, int] = {}
    for username in accounts:
        client = app.test_client()
        response = client.post("/login", data={"login": username, "password": PASSWORD})
        assert response.status_code == 302, f"{username} could not log in"
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == username))
            assert user is not None
            readable = {case.id for case in db.session.scalars(select(Case))
                        if handling.can_read(case, user)}
        seen_text[username] = 0
        for url in urls:
            response = client.get(url)
            body = response.get_data()
            response.close()
            assert response.status_code < 500, (username, url, response.status_code)
            if not response.mimetype.startswith(("text/", "application/json")):
                continue  # a photo: no text
            for case_id in {int(m) for m in MARK.findall(body.decode())}:
                if case_id in readable:
                    seen_text[username] += 1
                else:
                    problems.append(f"{username} reads case {case_id} on {url}")
    assert not problems, f"{len(problems)} pages show case text to the wrong reader:\n" + \
        "\n".join(problems[:40])
    # The sweep sees the text where it should: whoever may read cases reads some.
    assert seen_text["admin"] > 0 and seen_text[accounts[0]] > 0, seen_text
