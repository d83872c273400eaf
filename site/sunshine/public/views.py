"""Home, health check, robots.txt and the sitemap the features fill."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import escape
from sqlalchemy import select, text

from sunshine import pagecache
from sunshine.extensions import db
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.regions import services as regions
from sunshine.registry import registry

bp = Blueprint("public", __name__)

#: Home page cards: every module of the URL map with one line on what it holds.
MODULES = [
    ("/news/", "扶贫动态", "扶贫工作的新闻和各地动态。"),
    ("/policies/", "政策导航", "按主题、层级和地区查找适用的扶贫政策。"),
    ("/stats/", "扶贫数据", "全省到村的统计数据，个人信息一律不公开。"),
    ("/funds/", "资金公开", "扶贫资金的下达、支出和结余，按年度、地区和来源汇总。"),
    ("/projects/", "项目公开", "扶贫项目的申报、审批、实施、完工和验收全过程。"),
    ("/market/", "消费扶贫", "贫困地区的农产品，买家可直接向卖家询价。"),
    ("/help/", "爱心帮扶", "经核实的困难群众微心愿，爱心人士认领，送达后公开致谢。"),
    ("/notices/", "公示公告", "贫困户识别、退出、项目和资金公示，公示期内可提出异议。"),
    ("/complaints/new", "投诉举报", "投诉、举报、意见建议和满意度评价，可匿名，凭查询码跟踪办理。"),
]


@bp.get("/")
def index() -> Response:
    """Home: search, latest news, policy shortcuts, modules, regions; kept until news, the
    statistics or a notice change anywhere."""
    from sunshine.notices.views import notice_day

    return pagecache.cached(_home, ("content", None), ("stats", None), ("notices", None),
                            extra=notice_day)


class NewsLink(NamedTuple):
    url: str
    title: str
    published_on: date


def _home() -> str:
    from sunshine.content.models import POLICY_TOPICS
    from sunshine.notices.views import home_notices
    from sunshine.stats.views import home_figures

    province, cities = _province_and_cities()
    news = memo.remember("home-news", None, memo.versions([("content", None)]),
                         lambda: _latest_news(6))
    return render_template("public/index.html", province=province, cities=cities,
                           modules=MODULES, news=news, topics=POLICY_TOPICS,
                           **home_figures(), **home_notices())


def _province_and_cities() -> tuple[regions.Place | None, list[regions.Place]]:
    """The province and its cities, remembered until the region tree changes."""
    try:
        province, _, cities = regions.around(current_app.config["PROVINCE_CODE"])
    except regions.RegionNotFound:
        return None, []
    return province, cities


def _latest_news(limit: int) -> list[NewsLink]:
    """The newest published news, the columns the home page shows (not whole articles with
    their bodies and regions)."""
    from sunshine.content.models import Article, Kind, Status

    rows = db.session.execute(
        select(Article.kind, Article.slug, Article.title, Article.published_on)
        .where(Article.kind == Kind.NEWS, Article.status == Status.PUBLISHED)
        .order_by(Article.published_on.desc(), Article.id.desc()).limit(limit))
    return [NewsLink(f"{kind.path}{slug}", title, published_on)
            for kind, slug, title, published_on in rows]


def _database_answers() -> object:
    """True when the database answers a round trip (on a pooled connection's driver: cheap
    enough for every request); else a value never seen before, which no kept answer matches,
    so that Flask checks again and answers 503."""
    try:
        driver = db.engine.raw_connection()
        try:
            cursor = driver.cursor()
            cursor.execute("SELECT 1")
            answered = cursor.fetchall() == [(1,)]
            cursor.close()
        finally:
            driver.close()
    except Exception:  # noqa: BLE001  (any database failure means unhealthy)
        return object()
    return answered or object()


@bp.get("/healthz")
@keep(extra=_database_answers)
def healthz() -> tuple[dict[str, str], int]:
    """For load balancers: answers 200 when the database answers. Kept by the page cache,
    which checks the database on every request all the same (``_database_answers``)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (any database failure means unhealthy)
        db.session.rollback()
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}, 200


@bp.get("/robots.txt")
@keep()
def robots() -> Response:
    body = "\n".join([
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /login",
        "Disallow: /register",
        "Disallow: /account/",
        "Disallow: /complaints/track",
        "Disallow: /help/confirm",
        "Disallow: /help/mine",
        "Disallow: /search",
        f"Sitemap: {url_for('public.sitemap', _external=True)}",
        "",
    ])
    return Response(body, mimetype="text/plain")


#: The features whose public pages the sitemap lists (and dates).
SITEMAP_SCOPES = [(feature, None) for feature in (
    "content", "funds", "projects", "stats", "notices", "complaints", "matching", "market",
    "requests")]


@bp.get("/sitemap.xml")
@keep(*SITEMAP_SCOPES)
def sitemap() -> Response:
    """The home page and every public page the features list (see their ``init_app``)."""
    entries = memo.remember("sitemap", None, memo.versions(SITEMAP_SCOPES), _sitemap_entries,
                            size=1)
    opening = f"<url><loc>{escape(request.url_root.rstrip('/'))}"
    xml = "".join([SITEMAP_HEAD, opening, opening.join(entries), "</urlset>\n"]) if entries \
        else SITEMAP_HEAD + "</urlset>\n"
    return Response(xml, mimetype="application/xml")


SITEMAP_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')


def _sitemap_entries() -> list[str]:
    """Each listed page as the end of its ``<url>`` element (the host goes in front), made
    once per version of the features' data: listing thousands of records costs tens of ms."""
    paths: list[tuple[str, datetime | None]] = [("/", None)]
    for source in registry().sitemap_sources:
        paths.extend(source())
    return [f"{escape(path)}</loc>"
            + (f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else "")
            + "</url>\n" for path, lastmod in paths]
