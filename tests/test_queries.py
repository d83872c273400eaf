"""Every public page is cheap in itself: with the page caches off, each GET rule of the URL map
answers from at most ``MAX_STATEMENTS`` SQL statements and never loads a relationship lazily
(a lazy load raises here), for an anonymous visitor and for a logged-in citizen.

The rules come from ``app.url_map`` (all but the back office and static files); each rule with
arguments needs a filler below that picks real rows of the demo province, so that a new rule
fails here until it gets one. The demo has enough households for full list pages, where a
query per row would show. A streamed export reads its rows in keyset batches while it is
sent; those batches grow with the export and are reported, not counted in the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request_finished, url_for
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState
from werkzeug.routing import Rule

from sunshine import create_app
from sunshine.accounts.models import User
from sunshine.complaints.models import Case
from sunshine.demo.services import build_demo
from sunshine.extensions import db
from sunshine.funds.models import Fund
from sunshine.market.models import Inquiry, Listing, ListingPhoto, Seller
from sunshine.matching.models import Need, NeedPhoto
from sunshine.notices.models import Notice
from sunshine.projects.models import Project, ProjectUpdate
from sunshine.regions.models import Region
from tests.apps import PASSWORD, IsolatedClient, make_config
from tests.images import jpeg

MAX_STATEMENTS = 8
#: Rules that are not public pages.
SKIPPED_PREFIXES = ("/admin", "/static")
CITIZEN = "donor-demo"
SELLER = "seller-demo"


# --- the demo province, built once for the module ---------------------------------------------


def make_site(tmp: Path) -> Flask:
    """The demo province with every page cache switched off."""
    app = create_app(make_config(tmp, f"sqlite:///{tmp / 'site.sqlite'}", PAGE_CACHE=False,
                                 FUNDS_PAGE_CACHE=False, STATS_PAGE_CACHE=False))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        build_demo(households=300, seed=1, password=PASSWORD)
        _add_photos_and_inquiry()
    return app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_site(tmp_path_factory.mktemp("queries"))
    yield app
    with app.app_context():
        db.engine.dispose()


def _add_photos_and_inquiry() -> None:
    """What the demo leaves out: a need photo, a project progress photo and an inquiry."""
    from sunshine.market.inquiries import send_inquiry
    from sunshine.matching.photos import add_photos
    from sunshine.projects.services import add_update

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    need = db.session.scalars(select(Need).order_by(Need.id)).first()
    project = db.session.scalars(select(Project).where(Project.state == "published")
                                 .order_by(Project.id)).first()
    assert admin and need and project
    add_photos(admin, need, [jpeg()], "受助户口头同意")
    add_update(admin, project, date.today(), "完成路基", photo=jpeg())
    listing = db.session.scalars(select(Listing).join(Seller).join(User)
                                 .where(User.username == SELLER)).first()
    assert listing
    send_inquiry(listing, "10 斤", "13800000000", "请问何时发货")


# --- fillers: real arguments for each rule that has some ------------------------------------


def _first(statement: Any) -> Any:
    value = db.session.scalars(statement.limit(1)).first()
    assert value is not None, f"no row for {statement}"
    return value


def _county() -> str:
    return _first(select(Region.code).where(Region.level == 3).order_by(Region.code))


def _county_name() -> str:
    """A county's name: the search page shows it first, as a best bet."""
    return _first(select(Region.name).where(Region.level == 3).order_by(Region.code))


def _published(model: Any) -> int:
    """The first published fund or project."""
    return _first(select(model.id).where(model.state == "published").order_by(model.id))


def _on_sale() -> int:
    return _first(select(Listing.id).where(Listing.status == "on_sale").order_by(Listing.id))


def _public_need() -> int:
    from sunshine.matching import queries

    return _first(queries.public_query(queries.parse_filters({})).with_only_columns(Need.id))


def _notices() -> list[dict[str, Any]]:
    """Every published notice: their pages differ by kind and state."""
    ids = db.session.scalars(select(Notice.id).where(Notice.published_at.is_not(None))
                             .order_by(Notice.id))
    return [{"notice_id": notice_id} for notice_id in ids]


def _notify_token(purpose: str) -> dict[str, Any]:
    """A link's token for a pending subscription to the first county."""
    from sunshine.notify import subscriptions, tokens
    from sunshine.notify.models import Mode

    topic = subscriptions.resolve("region", _county())
    subscription = subscriptions.request_subscription("filler@example.cn", topic, Mode.DAILY)
    token = tokens.issue(purpose, subscriber_id=subscription.subscriber_id,
                         subscription_id=subscription.id)
    db.session.commit()
    return {"token": token}


def _followup_token() -> dict[str, Any]:
    """A follow-up link's token for the first answered case."""
    from sunshine.notify import tokens

    case_id = _first(select(Case.id).where(Case.replied_at.is_not(None)).order_by(Case.id))
    token = tokens.issue("followup", ref=str(case_id))
    db.session.commit()
    return {"token": token}


def _with_region(name: str = "region") -> list[dict[str, Any]]:
    """A list page as it opens, and filtered by a county."""
    return [{}, {name: _county()}]


#: Endpoint -> the arguments of one URL, or of several when the pages differ much (query
#: arguments included). A rule without arguments and without a filler is visited bare.
#: Gives the arguments of one rule: one set, or several URLs to visit.
Filler = Callable[[], dict[str, Any] | list[dict[str, Any]]]
FILLERS: dict[str, Filler] = {
    "funds.index": _with_region,
    "projects.index": _with_region,
    "notices.index": _with_region,
    "matching.index": _with_region,
    "matching.thanks": _with_region,
    "market.index": lambda: _with_region("county"),
    "complaints.answers": _with_region,
    "requests.index": _with_region,
    "news.news_index": _with_region,
    "policies.policies_index": _with_region,
    "search.index": lambda: [{}, {"q": "扶贫"}, {"q": _county_name()}],
    "search.suggestions": lambda: [{"q": "扶贫"}, {"q": _county_name()[:2]}],
    "funds.detail": lambda: {"fund_id": _published(Fund)},
    "funds_api.api_fund": lambda: {"fund_id": _published(Fund)},
    "projects.detail": lambda: {"project_id": _published(Project)},
    "projects.qr": lambda: {"project_id": _published(Project)},
    "projects_api.api_project": lambda: {"project_id": _published(Project)},
    "projects.photo": lambda: {"name": _first(select(ProjectUpdate.photo).where(
        ProjectUpdate.photo.is_not(None)))},
    "notices.detail": _notices,
    "notices.print_page": _notices,
    "notices.export_entries": _notices,
    "notices_api.api_notice": _notices,
    "matching.detail": lambda: {"need_id": _public_need()},
    "matching_api.api_need": lambda: {"need_id": _public_need()},
    "matching.photo": lambda: {"photo_id": _first(select(NeedPhoto.id)), "kind": "thumb"},
    "market.detail": lambda: {"listing_id": _on_sale()},
    "market_api.api_product": lambda: {"listing_id": _on_sale()},
    "market.photo": lambda: {"photo_id": _first(select(ListingPhoto.id).join(Listing).where(
        Listing.status == "on_sale")), "kind": "thumb"},
    "market.seller": lambda: {"seller_id": _first(select(Seller.id).where(
        Seller.status == "verified").order_by(Seller.id))},
    "market_seller.edit": lambda: {"listing_id": _first(select(Listing.id).join(Seller).join(
        User).where(User.username == SELLER).order_by(Listing.id))},
    "market_seller.inquiry": lambda: {"inquiry_id": _first(select(Inquiry.id))},
    "complaints.answer": lambda: {"case_id": _first(select(Case.id).where(
        Case.published_at.is_not(None)))},
    "requests.detail": lambda: {"request_id": _public_request()},
    "requests.compliance": lambda: [{}, {"region": _county()}],
    "requests.annual_report": lambda: _office_year(),
    "requests.report_export": lambda: _office_year(),
    "requests.report_cell": lambda: {**_office_year(), "row": "new", "column": "total"},
    "requests_api.api_request": lambda: {"request_id": _public_request()},
    "requests.file": lambda: _request_file(),
    "requests.track_file": lambda: _request_file_token(),
    "news.news_detail": lambda: {"slug": _article_slug("news")},
    "policies.policy_detail": lambda: {"slug": _article_slug("policy")},
    "regions.api_detail": lambda: {"code": _county()},
    "stats.detail": lambda: {"code": _county()},
    "stats.export": lambda: {"code": _county()},
    "stats_api.api_detail": lambda: {"code": _county()},
    "notify.follow": lambda: [{}, {"topic": "region", "key": _county()}],
    "complaints.followup_answer": lambda: _followup_token(),
    "notify.confirm": lambda: _notify_token("confirm"),
    "notify.unsubscribe": lambda: _notify_token("unsubscribe"),
    "notify.manage": lambda: _notify_token("manage"),
}

#: Pages of one account: anonymous visitors are sent to log in, and the logged-in visitor is
#: that account.
OWN_PAGES = {
    "accounts.password": CITIZEN,
    "matching.mine": CITIZEN,
    "market_seller.home": SELLER,
    "market_seller.new": SELLER,
    "market_seller.edit": SELLER,
    "market_seller.profile": SELLER,
    "market_seller.inquiry": SELLER,
}
#: Pages that send a logged-in visitor elsewhere.
LOGGED_IN_REDIRECTS = {"accounts.register"}


def _public_request() -> int:
    from sunshine.requests.models import InfoRequest, Outcome

    return _first(select(InfoRequest.id).where(InfoRequest.outcome == Outcome.PARTIAL,
                                               InfoRequest.held.is_(False)))


def _request_file() -> dict[str, Any]:
    """A document of a published answer (the demo attaches some)."""
    from sunshine.requests import files
    from sunshine.requests.models import InfoRequest

    found = _first(select(files.RequestFile).join(InfoRequest).where(
        files.RequestFile.confirmed.is_(True), InfoRequest.consent_to_publish.is_(True),
        InfoRequest.held.is_(False)).order_by(files.RequestFile.id))
    return {"request_id": found.request_id, "file_id": found.id, "name": found.name}


def _request_file_token() -> dict[str, Any]:
    """The applicant's link to a document the public may not see."""
    from sunshine.requests import files

    found = _first(select(files.RequestFile).where(files.RequestFile.confirmed.is_(False))
                   .order_by(files.RequestFile.id))
    return {"token": files.signer().dumps([found.request_id, found.id])}


def _office_year() -> dict[str, Any]:
    from sunshine.requests.models import InfoRequest

    info = db.session.scalar(select(InfoRequest).order_by(InfoRequest.id).limit(1))
    return {"office_key": info.office.key, "year": info.received_at.year}


def _article_slug(kind: str) -> str:
    from sunshine.content.models import Article, Kind, Status

    return _first(select(Article.slug).where(Article.kind == Kind(kind),
                                             Article.status == Status.PUBLISHED))


def public_rules(app: Flask) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "GET" in (rule.methods or ()) and not rule.rule.startswith(SKIPPED_PREFIXES)),
                  key=lambda rule: rule.rule)


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


def public_urls(app: Flask, fillers: dict[str, Filler] | None = None,
                ) -> tuple[list[tuple[str, str]], list[str]]:
    """(endpoint, URL) for every public rule, and the rules that have no filler."""
    fillers = FILLERS if fillers is None else fillers
    urls: list[tuple[str, str]] = []
    unfilled = []
    with app.test_request_context():
        for rule in public_rules(app):
            filler = fillers.get(rule.endpoint)
            if rule.arguments and filler is None:
                unfilled.append(f"{rule.rule} ({rule.endpoint})")
                continue
            values = filler() if filler else {}
            for arguments in values if isinstance(values, list) else [values]:
                urls.append((rule.endpoint, url_for(rule.endpoint, **arguments)))
    return urls, unfilled


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
