"""Public pages: /news/, /policies/ (with the household guide), article pages, feeds, API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)

from sunshine import pagecache
from sunshine.content import pages, services
from sunshine.content.models import LEVELS, NEWS_CATEGORIES, POLICY_TOPICS, Article, Kind
from sunshine.extensions import db
from sunshine.pagecache import memo
from sunshine.pagecache.data import keep
from sunshine.records.listing import code_arg
from sunshine.web import int_arg, page_arg, per_page_arg

news_bp = Blueprint("news", __name__, url_prefix="/news")
policies_bp = Blueprint("policies", __name__, url_prefix="/policies")
feeds_bp = Blueprint("content_feeds", __name__)
api_bp = Blueprint("content_api", __name__, url_prefix="/api/v1")

#: The household guide: situation → the topics that help (nothing is stored).
SITUATIONS = {
    "school": ("家里有孩子在上学", ["教育资助"]),
    "illness": ("家里有人得了大病或长期慢性病", ["健康扶贫", "兜底保障"]),
    "disability": ("家里有残疾人", ["兜底保障", "健康扶贫", "就业"]),
    "house": ("住房不安全（危房）", ["危房改造", "易地搬迁"]),
    "work": ("想找工作或学技术", ["就业", "产业扶持"]),
    "business": ("想发展种养殖或做小生意", ["产业扶持", "小额信贷"]),
    "remote": ("住在生存条件很差的地方", ["易地搬迁"]),
    "no_labour": ("家里没有劳动力、生活困难", ["兜底保障"]),
}


def _filters(kind: Kind) -> services.Filters:
    args = request.args
    allowed = NEWS_CATEGORIES if kind is Kind.NEWS else POLICY_TOPICS
    key = "category" if kind is Kind.NEWS else "topic"
    category = args.get(key) if args.get(key) in allowed else None
    level = args.get("level") if args.get("level") in LEVELS else None
    region = code_arg()
    year = int_arg("year", 0, 1991, 2099) or None
    return services.Filters(category=category, level=level, region=region, year=year,
                            include_expired=args.get("expired") == "1")


def _today() -> date:
    return datetime.now(UTC).date()


#: The query arguments the list pages read.
LIST_ARGS = ("category", "topic", "level", "region", "year", "expired", "page")


def _list_page(kind: Kind, template: str, **extra: object) -> Response:
    """Kept until an article of the region shown (or above or below it) changes."""
    filters = _filters(kind)
    return pagecache.cached(lambda: _render_list(kind, filters, template, **extra),
                            ("content", filters.region), args=LIST_ARGS, extra=_today)


def _render_list(kind: Kind, filters: services.Filters, template: str, **extra: object) -> str:
    today = _today()
    shown = pages.listed(kind, filters, page_arg(), current_app.config["PAGE_SIZE"], today)
    return render_template(template, kind=kind, page=shown.page, filters=filters,
                           years=shown.years, levels=LEVELS, region=shown.region,
                           cities=shown.cities, today=today,
                           feed_url=_feed_url(kind, filters), **extra)


def _feed_url(kind: Kind, filters: services.Filters) -> str:
    args: dict[str, Any] = {}
    if filters.region:
        args["region"] = filters.region
    if filters.category:
        args["topic"] = filters.category
    name = "content_feeds.news_feed" if kind is Kind.NEWS else "content_feeds.policies_feed"
    return url_for(name, **args)


def _detail(kind: Kind, slug: str) -> Response:
    """An article page, kept until any article changes (related articles and expiry notes
    depend on the others)."""

    def render() -> str:
        article = pages.article(kind, slug)
        if article is None:
            abort(404)
        return render_template("content/detail.html", article=article, kind=kind,
                               related=article.related, today=_today())

    return pagecache.cached(render, ("content", None), extra=_today)


@news_bp.get("/")
def news_index() -> Response:
    """扶贫动态 list with filters."""
    return _list_page(Kind.NEWS, "content/index.html", categories=NEWS_CATEGORIES,
                      category_key="category")


@news_bp.get("/<slug>")
def news_detail(slug: str) -> Response:
    return _detail(Kind.NEWS, slug)


@policies_bp.get("/")
def policies_index() -> Response:
    """政策导航 list with filters and the household guide."""
    return _list_page(Kind.POLICY, "content/index.html", categories=POLICY_TOPICS,
                      category_key="topic", situations=SITUATIONS)


@policies_bp.get("/guide")
def guide() -> Response:
    """我家的情况: tick situations, get the policies that apply. Nothing about the visitor is
    stored: the page of each set of situations is kept like any list (by its address)."""
    return pagecache.cached(_guide, ("content", None), args=("s",), extra=_today)


def _guide() -> str:
    chosen = [key for key in request.args.getlist("s") if key in SITUATIONS]
    topics: list[str] = []
    for key in chosen:
        topics += [t for t in SITUATIONS[key][1] if t not in topics]
    articles: list[Article] = []
    if topics:
        filters = services.Filters(categories=topics)
        articles = list(db.session.execute(
            services.public_query(Kind.POLICY, filters, _today()).limit(60)).scalars())
        order = {t: i for i, t in enumerate(topics)}
        articles.sort(key=lambda a: order.get(a.category, 99))
    return render_template("content/guide.html", situations=SITUATIONS, chosen=chosen,
                           topics=topics, articles=articles)


@policies_bp.get("/<slug>")
def policy_detail(slug: str) -> Response:
    return _detail(Kind.POLICY, slug)


# --- feeds -----------------------------------------------------------------------------------


def _feed(kind: Kind) -> Response:
    filters = services.Filters()
    filters.region = code_arg()
    topic = request.args.get("topic", "")
    if topic in NEWS_CATEGORIES or topic in POLICY_TOPICS:
        filters.category = topic
    articles = pages.feed(kind, filters, _today())
    updated = max((a.changed_after_publish_at or a.first_published_at or a.updated_at
                   for a in articles), default=datetime(2020, 1, 1, tzinfo=UTC))
    xml = render_template("content/feed.xml", kind=kind, articles=articles,
                          updated=updated, root=request.url_root.rstrip("/"),
                          self_url=request.url)
    return Response(xml, mimetype="application/atom+xml")


@feeds_bp.get("/feeds/news.xml")
@keep(("content", None), extra=_today)
def news_feed() -> Response:
    """Atom; ?region=<code> and ?topic= narrow it to one village or one topic."""
    return _feed(Kind.NEWS)


@feeds_bp.get("/feeds/policies.xml")
@keep(("content", None), extra=_today)
def policies_feed() -> Response:
    return _feed(Kind.POLICY)


# --- JSON API --------------------------------------------------------------------------------


def _api_item(article: Article) -> dict[str, object]:
    """An article as the API gives it, with its address from the site's root (``url`` is
    its path, to be joined to the address the request came to)."""
    return {
        "slug": article.slug, "title": article.title, "summary": article.summary,
        "date": article.published_on.isoformat(),
        "expires": article.expires_on.isoformat() if article.expires_on else None,
        "category": article.category, "level": article.level,
        "region": {"code": article.region_code, "name": article.region.name},
        "issuer": article.issuer, "document_number": article.document_number,
        "tags": article.tags, "url": article.url,
        "updated": (article.changed_after_publish_at.isoformat()
                    if article.changed_after_publish_at else None),
    }


def _api_list(kind: Kind) -> Response:
    per_page = per_page_arg(50)
    filters, number, today = _filters(kind), page_arg(), _today()
    key = (kind, filters.category, filters.level, filters.region, filters.year,
           filters.include_expired, number, per_page, today)
    items, shown, total = memo.remember(
        "article-api", key, memo.versions(pages.SCOPES),
        lambda: _api_page(kind, filters, number, per_page, today), size=64)
    root = request.url_root.rstrip("/")
    return jsonify(items=[{**item, "url": root + str(item["url"])} for item in items],
                   page=shown, per_page=per_page, total=total)


def _api_page(kind: Kind, filters: services.Filters, number: int, per_page: int,
              today: date) -> tuple[list[dict[str, object]], int, int | None]:
    """A page of the API's list of articles, remembered per worker until an article or the
    region tree changes (or the day, for expired policies)."""
    page = db.paginate(services.public_query(kind, filters, today), page=number,
                       per_page=per_page, error_out=False)
    return [_api_item(a) for a in page.items], page.page, page.total


@api_bp.get("/news")
@keep(("content", None), extra=_today)
def api_news() -> Response:
    return _api_list(Kind.NEWS)


@api_bp.get("/policies")
@keep(("content", None), extra=_today)
def api_policies() -> Response:
    return _api_list(Kind.POLICY)


def sitemap_entries() -> list[tuple[str, datetime | None]]:
    """The news and policy lists and the published articles, for /sitemap.xml."""
    from sqlalchemy import select

    from sunshine.content.models import Status

    rows = db.session.execute(select(Article).where(Article.status == Status.PUBLISHED))
    return [("/news/", None), ("/policies/", None),
            *((a.url, a.changed_after_publish_at or a.first_published_at) for a in rows.scalars())]
