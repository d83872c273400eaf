"""The public pages of the demo province as the site-wide tests visit them: the demo built once
for a module (``make_site``), every public GET rule of ``app.url_map`` (``public_rules``) and one
or more real URLs for each (``FILLERS``, ``public_urls``). Each rule with arguments needs a
filler here that picks real rows of the demo, so that a new rule fails the site-wide tests until
it gets one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask, url_for
from sqlalchemy import select
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
