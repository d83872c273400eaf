"""The demo site for bench_site.py, and one representative URL for every public GET rule.

A rule is public when it answers GET and is neither under /admin nor the static route. Each
has an SQL query below giving candidate values for its arguments, newest rows first; the URL is
the first candidate that a visitor (anonymous or a logged-in citizen) gets with a 200. A rule
without a query, or whose candidates all fail, stops the benchmark, naming the rule: a new
public page must be added here before the benchmark runs again.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"

#: Candidate values of a rule's arguments, in the order of the rule's arguments.
_OFFICE_YEARS = ("SELECT office_region_code || '-' || lower(office_kind), "
                 "strftime('%Y', received_at) FROM info_request ORDER BY id")
#: Rules whose argument is a secret link token: kept only hashed (or signed, not kept at all),
#: so no row gives one; ``secret_links`` mints a real one for each, as its mail or page would.
TOKEN_RULES = {"/complaints/followup/<token>", "/notify/confirm/<token>",
               "/notify/manage/<token>", "/notify/unsubscribe/<token>",
               "/requests/track/files/<token>"}
CANDIDATES: dict[str, str] = {
    "/api/v1/funds/<int:fund_id>": "SELECT id FROM fund ORDER BY id DESC",
    "/funds/<int:fund_id>": "SELECT id FROM fund ORDER BY id DESC",
    "/api/v1/needs/<int:need_id>": "SELECT id FROM matching_need ORDER BY id DESC",
    "/help/<int:need_id>": "SELECT id FROM matching_need ORDER BY id DESC",
    "/help/photos/<int:photo_id>/<kind>": "SELECT id, 'full' FROM matching_photo",
    "/api/v1/notices/<int:notice_id>": "SELECT id FROM notice ORDER BY id DESC",
    "/notices/<int:notice_id>": "SELECT id FROM notice ORDER BY id DESC",
    "/notices/<int:notice_id>/export.csv": "SELECT id FROM notice ORDER BY id DESC",
    "/notices/<int:notice_id>/print": "SELECT id FROM notice ORDER BY id DESC",
    "/api/v1/products/<int:listing_id>": "SELECT id FROM market_listing ORDER BY id DESC",
    "/market/<int:listing_id>": "SELECT id FROM market_listing ORDER BY id DESC",
    "/market/my/<int:listing_id>/edit": "SELECT id FROM market_listing ORDER BY id DESC",
    "/market/my/inquiries/<int:inquiry_id>": "SELECT id FROM market_inquiry",
    "/market/photos/<int:photo_id>/<kind>": "SELECT id, 'full' FROM market_photo",
    "/market/sellers/<int:seller_id>": "SELECT id FROM market_seller",
    "/api/v1/projects/<int:project_id>": "SELECT id FROM project ORDER BY id DESC",
    "/projects/<int:project_id>": "SELECT id FROM project ORDER BY id DESC",
    "/projects/<int:project_id>/qr.svg": "SELECT id FROM project ORDER BY id DESC",
    "/projects/photos/<name>": "SELECT photo FROM project_update WHERE photo IS NOT NULL",
    "/api/v1/regions/<code>": "SELECT code FROM region WHERE level = 3 ORDER BY code",
    "/api/v1/stats/<code>": "SELECT code FROM region WHERE level = 3 ORDER BY code",
    "/stats/<code>": "SELECT code FROM region WHERE level = 3 ORDER BY code",
    "/stats/<code>/export.csv": "SELECT code FROM region WHERE level = 3 ORDER BY code",
    "/complaints/answers/<int:case_id>": "SELECT id FROM complaint_case ORDER BY id DESC",
    "/news/<slug>": "SELECT slug FROM article WHERE kind = 'news' ORDER BY id DESC",
    "/requests/<int:request_id>": "SELECT id FROM info_request ORDER BY id DESC",
    "/api/v1/requests/<int:request_id>": "SELECT id FROM info_request ORDER BY id DESC",
    "/requests/<int:request_id>/files/<int:file_id>/<name>":
        "SELECT request_id, id, name FROM info_request_file WHERE confirmed ORDER BY id",
    "/requests/report/<office_key>/<int:year>": _OFFICE_YEARS,
    "/requests/report/<office_key>/<int:year>/export.csv": _OFFICE_YEARS,
    "/requests/report/<office_key>/<int:year>/<row>/<column>":
        "SELECT office_region_code || '-' || lower(office_kind), "
        "strftime('%Y', received_at), 'new', 'total' FROM info_request ORDER BY id",
    "/policies/<slug>": "SELECT slug FROM article WHERE kind != 'news' ORDER BY id DESC",
}
#: Rules without arguments measured with a query string, as a visitor uses them.
QUERY_STRINGS = {"/search": "?q=" + quote("危房改造")}


def public_rules() -> list[tuple[str, list[str]]]:
    """Every public GET rule of the app and its arguments, in URL order."""
    from sunshine import create_app

    app = create_app({"SUNSHINE_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    rules = [(rule.rule, list(rule.arguments)) for rule in app.url_map.iter_rules()
             if "GET" in (rule.methods or ()) and rule.endpoint != "static"
             and not rule.rule.startswith("/admin")]
    return sorted(rules)


def _jpeg(seed: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120 + seed % 100, 160, 90)).save(out, "JPEG", quality=80)
    return out.getvalue()


def _top_up() -> None:
    """Rows the demo does not make but a public rule shows: a photo of a need, a progress
    photo of a project and an inquiry to a seller, each through its feature's service."""
    from sqlalchemy import select

    from sunshine.accounts.models import User
    from sunshine.clock import today
    from sunshine.extensions import db
    from sunshine.market.inquiries import send_inquiry
    from sunshine.market.models import Listing, ListingStatus
    from sunshine.matching.models import Need
    from sunshine.matching.photos import add_photos
    from sunshine.projects.models import Project
    from sunshine.projects.services import add_update

    admin = db.session.scalars(select(User).where(User.username == "admin")).one()
    for need in db.session.scalars(select(Need).where(Need.state == "published")):
        add_photos(admin, need, [_jpeg(need.id)], "受助户口头同意（演示）")
        break
    project = db.session.scalars(select(Project).where(Project.state == "published")
                                 .order_by(Project.id.desc())).first()
    if project is not None:
        add_update(admin, project, today(), "施工进展（演示照片）", photo=_jpeg(project.id))
        db.session.commit()
    listing = db.session.scalars(select(Listing).where(
        Listing.status == ListingStatus.ON_SALE)).first()
    if listing is not None:
        send_inquiry(listing, "50 斤", "13800000000", "请问可以送到县城吗？")


def _settings(folder: Path) -> dict[str, str]:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite'}",
            "SEARCH_INDEX_DIR": str(folder / "index"), "UPLOAD_DIR": str(folder / "uploads")}


def _app(folder: Path, secret: str) -> Any:
    from sunshine import create_app

    return create_app({"SUNSHINE_ENV": "testing", "SECRET_KEY": secret, **_settings(folder)})


def build_site(folder: Path, secret: str, households: int) -> dict[str, str]:
    """The demo database (``sunshine demo`` at this size), its uploads and its search index in
    ``folder``; returns the SUNSHINE_ environment that points gunicorn at them."""
    from sunshine.demo.services import build_demo
    from sunshine.extensions import db
    from sunshine.search.index import rebuild

    settings = _settings(folder)
    app = _app(folder, secret)
    with app.app_context():
        db.create_all()
        ctx = build_demo(households=households, seed=2020, password=PASSWORD)
        _top_up()
        counts = rebuild(settings["SEARCH_INDEX_DIR"])
        print(f"  demo: {ctx.summary.get('households_synthetic')} households, "
              f"{sum(counts.values())} documents indexed", flush=True)
        db.session.remove()
        db.engine.dispose()
    return {f"SUNSHINE_{k}": v for k, v in settings.items()}


def secret_links(folder: Path, secret: str) -> dict[str, str]:
    """A real URL for each rule of ``TOKEN_RULES``, minted in the demo database of ``folder``
    (signed with ``secret``, the site's key) through the features' own functions, as the
    site does when it mails a link or shows one: a follower asking to follow a county (the
    confirmation link), one who follows it (the unsubscribe and manage links), the reporter
    of an answered case who follows it (the follow-up question), and an applicant who has
    just given their tracking code (a document of the answer, a link good for an hour). New
    tokens on every call: a reused demo folder gets a fresh signed link."""
    from sqlalchemy import select

    from sunshine.complaints import followup
    from sunshine.complaints.models import Case, Status
    from sunshine.extensions import db
    from sunshine.notify import subscriptions, tokens
    from sunshine.notify.models import Mode
    from sunshine.regions.models import Region
    from sunshine.requests import files
    from sunshine.requests.models import InfoRequest

    app = _app(folder, secret)
    with app.app_context():
        county = db.session.scalars(select(Region.code).where(Region.level == 3)
                                    .order_by(Region.code)).first()
        case_id = db.session.scalars(select(Case.id).where(
            Case.status.in_([Status.REPLIED, Status.CLOSED])).order_by(Case.id)).first()
        document = db.session.scalars(select(files.RequestFile)
                                      .order_by(files.RequestFile.id)).first()
        if county is None or case_id is None or document is None:
            raise SystemExit("bench_site: the demo has no county, answered case or answer "
                             "document to make secret links for")
        place = subscriptions.resolve("region", county)
        asked = subscriptions.request_subscription("bench-asking@example.org", place,
                                                   Mode.IMMEDIATE)
        follows = subscriptions.subscribe_confirmed("bench-following@example.org", place)
        case = subscriptions.resolve("complaint",
                                     subscriptions.sign_key("complaint", str(case_id)))
        reporter = subscriptions.subscribe_confirmed("bench-reporter@example.org", case)
        links = {
            "/notify/confirm/<token>": tokens.issue(
                "confirm", subscriber_id=asked.subscriber_id, subscription_id=asked.id),
            "/notify/unsubscribe/<token>": tokens.issue(
                "unsubscribe", subscriber_id=follows.subscriber_id, subscription_id=follows.id),
            "/notify/manage/<token>": tokens.issue("manage",
                                                   subscriber_id=follows.subscriber_id),
            "/complaints/followup/<token>": tokens.issue(
                followup.TOKEN_PURPOSE, subscriber_id=reporter.subscriber_id,
                subscription_id=reporter.id, ref=str(case_id)),
        }
        db.session.commit()
        urls = {rule: rule.replace("<token>", token) for rule, token in links.items()}
        with app.test_request_context():
            mine = dict(files.applicant_links(db.session.get_one(InfoRequest,
                                                                 document.request_id)))
            urls["/requests/track/files/<token>"] = mine[document]
        db.session.remove()
        db.engine.dispose()
    return urls


def fill(rule: str, arguments: list[str], database: Path, answers: Callable[[str], bool],
         links: dict[str, str] | None = None) -> str:
    """The first URL of ``rule`` filled from real rows that ``answers`` accepts; a secret
    link's from ``links`` (``secret_links``).

    :raise SystemExit: naming the rule when there is no query for it or no row that answers.
    """
    parts = rule.replace("<", ">").split(">")  # literal, converter:name, literal, ...
    if not arguments:
        url = rule + QUERY_STRINGS.get(rule, "")
        if answers(url):
            return url
        raise SystemExit(f"bench_site: {rule} does not answer 200 to any visitor")
    if rule in TOKEN_RULES:
        if links is None or rule not in links:
            raise SystemExit(f"bench_site: no secret link for {rule}: see secret_links")
        if answers(links[rule]):
            return links[rule]
        raise SystemExit(f"bench_site: the secret link {links[rule]} does not answer 200")
    if rule not in CANDIDATES:
        raise SystemExit(f"bench_site: no candidate query for the rule {rule}: add one to "
                         "CANDIDATES in bench/site_urls.py")
    with sqlite3.connect(database) as con:
        rows = con.execute(CANDIDATES[rule] + " LIMIT 40").fetchall()
    for row in rows:
        values = iter(str(value) for value in row)
        url = "".join(quote(next(values)) if i % 2 else part for i, part in enumerate(parts))
        if answers(url):
            return url
    raise SystemExit(f"bench_site: cannot fill the rule {rule}: none of {len(rows)} candidate "
                     "rows answers 200")
