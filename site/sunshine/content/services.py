"""Articles: syncing content/, editing in the back office, publishing, and public queries."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, extract, func, or_, select

from sunshine import pagecache
from sunshine.accounts.models import User
from sunshine.accounts.permissions import check_region, region_scope
from sunshine.audit import record
from sunshine.content import indexing
from sunshine.content.files import ArticleFile, ContentFileError, article_files, parse_file
from sunshine.content.models import Article, ArticleVersion, Kind, Status
from sunshine.database import utcnow
from sunshine.extensions import db
from sunshine.failures import FieldError
from sunshine.guard import check_publishable
from sunshine.markup import render_markdown
from sunshine.notify.events import announce
from sunshine.pagecache.versions import signature
from sunshine.regions import codes
from sunshine.regions.models import Region
from sunshine.regions.province import province_code

log = logging.getLogger(__name__)


class ArticleError(FieldError):
    """An article that cannot be saved or unpublished."""


# --- syncing content/ ----------------------------------------------------------------------


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[ContentFileError] = field(default_factory=list)
    #: Files about a region outside the configured province: another site's articles.
    elsewhere: list[str] = field(default_factory=list)


def sync_folder(root: Path) -> SyncReport:
    """Make the database match the files: new files create, changed files update (a new
    version), removed files unpublish. Bad files are reported and left as they were.
    Idempotent: a second run with no changes writes nothing. A file whose ``region`` lies
    outside the configured province belongs to another province's site: it is passed over
    (and unpublished if it was loaded before), not reported as an error.
    """
    report = SyncReport()
    province = province_code()
    seen: set[str] = set()
    known_regions = set(db.session.execute(select(Region.code)).scalars())
    changed: list[Article] = []
    for path, kind in article_files(root):
        key = str(path.relative_to(root))
        seen.add(key)
        try:
            parsed = parse_file(path, kind)
            if not codes.in_subtree(parsed.region_code, province):
                seen.remove(key)
                report.elsewhere.append(key)
                continue
            if parsed.region_code not in known_regions:
                raise ContentFileError(path, 1, f"区划 {parsed.region_code} 不存在")
            check_publishable(parsed.title, parsed.summary, parsed.body_md)
        except ContentFileError as exc:
            report.errors.append(exc)
            continue
        except Exception as exc:  # noqa: BLE001  (the guard's finding, reported per file)
            message = getattr(exc, "message", str(exc))
            report.errors.append(ContentFileError(path, 1, message))
            continue
        article = db.session.scalar(select(Article).where(Article.source_path == key))
        clash = db.session.scalar(select(Article).where(
            Article.kind == kind, Article.slug == parsed.slug,
            or_(Article.source_path.is_(None), Article.source_path != key)))
        if clash is not None:
            report.errors.append(ContentFileError(path, 1, f"slug {parsed.slug} 已被其他文章使用"))
            continue
        if article is None:
            article = Article(kind=kind, source_path=key, version=0)
            db.session.add(article)
            _apply_file(article, parsed)
            report.created.append(key)
        elif article.source_hash != parsed.digest or article.status != Status.PUBLISHED:
            _apply_file(article, parsed)
            report.updated.append(key)
        else:
            report.unchanged += 1
            continue
        changed.append(article)
    for article in db.session.execute(select(Article).where(
            Article.source_path.is_not(None), Article.status == Status.PUBLISHED)).scalars():
        if article.source_path not in seen:
            article.status = Status.UNPUBLISHED
            _keep_version(article, "文件已删除，撤下", "content sync")
            report.unpublished.append(str(article.source_path))
            changed.append(article)
    _published(changed)
    db.session.commit()
    return report


def _published(articles: list[Article]) -> None:
    """Before the commit: the search outbox learns of the change (new articles get their ids)."""
    db.session.flush()
    indexing.reindex(articles)


def _apply_file(article: Article, parsed: ArticleFile) -> None:
    was_published = article.status == Status.PUBLISHED and article.first_published_at is not None
    article.slug, article.title, article.summary = parsed.slug, parsed.title, parsed.summary
    article.body_md, article.body_html = parsed.body_md, render_markdown(parsed.body_md)
    article.category, article.level = parsed.category, parsed.level
    if article.region_code and article.region_code != parsed.region_code:
        pagecache.changed("content", article.region_code)  # its pages no longer list it
    article.region_code, article.issuer = parsed.region_code, parsed.issuer
    article.document_number, article.tags = parsed.document_number, parsed.tags
    article.attachments, article.published_on = parsed.attachments, parsed.published_on
    article.expires_on, article.source_hash = parsed.expires_on, parsed.digest
    article.status = Status.PUBLISHED
    now = utcnow()
    article.updated_at = now
    if was_published:
        article.changed_after_publish_at = now
        article.change_note = "按文件更新"
    else:
        if article.first_published_at is None:
            _announce(article)
        article.first_published_at = article.first_published_at or now
    _keep_version(article, article.change_note or "从文件载入", "content sync")


def _announce(article: Article) -> None:
    """News for a region, first published: its followers are told (policies are not news)."""
    if article.kind is Kind.NEWS and article.region_code:
        announce(f"扶贫动态：{article.title}", article.url, region_code=article.region_code)


def _keep_version(article: Article, note: str, editor_name: str) -> None:
    """Every saved state of an article: a version row, and its region's pages kept anew."""
    pagecache.changed("content", article.region_code)
    article.version = (article.version or 0) + 1
    article.versions.append(ArticleVersion(
        version=article.version, title=article.title, summary=article.summary,
        body_md=article.body_md, status=article.status.value, change_note=note[:300],
        editor_name=editor_name[:64]))


# --- back-office editing -------------------------------------------------------------------


@dataclass
class ArticleFields:
    kind: Kind
    title: str
    slug: str
    summary: str
    body_md: str
    category: str
    level: str
    region_code: str
    issuer: str
    published_on: date
    expires_on: date | None = None
    tags: list[str] = field(default_factory=list)
    document_number: str = ""


def editable(article: Article, editor: User) -> None:
    """:raise PermissionDenied: outside the editor's region. File articles are read-only."""
    check_region(editor, article.region_code)
    if article.source_path:
        raise ArticleError("这篇文章来自 content/ 文件，请修改文件后运行 sunshine content sync")


def save_article(editor: User, fields: ArticleFields, article: Article | None = None,
                 change_note: str = "") -> Article:
    """Create or change an article. A published article stays published, so its new text must
    pass the publish guard and carry a change note, shown as "更新于 …" on the page.

    :raise ArticleError: a slug clash, or a missing change note for a published article.
    :raise PersonalDataFound: a published article's new text holds personal numbers.
    :raise PermissionDenied: a region outside the editor's scope.
    """
    check_region(editor, fields.region_code)
    if db.session.get(Region, fields.region_code) is None:
        raise ArticleError("区划不存在", "region_code")
    clash = db.session.scalar(select(Article.id).where(
        Article.kind == fields.kind, Article.slug == fields.slug,
        Article.id != (article.id if article else -1)))
    if clash:
        raise ArticleError("这个网址标识已被其他文章使用", "slug")
    if article is None:
        article = Article(kind=fields.kind, status=Status.DRAFT, version=0)
        db.session.add(article)
        note = change_note or "新建"
    else:
        editable(article, editor)
        note = change_note
        if article.status == Status.PUBLISHED:
            if not change_note.strip():
                raise ArticleError("修改已发布的文章时，请写明修改了什么", "change_note")
            check_publishable(fields.title, fields.summary, fields.body_md)
            article.changed_after_publish_at = utcnow()
            article.change_note = change_note.strip()
    if article.region_code and article.region_code != fields.region_code:
        pagecache.changed("content", article.region_code)  # its pages no longer list it
    for name in ("title", "slug", "summary", "body_md", "category", "level", "region_code",
                 "issuer", "published_on", "expires_on", "tags", "document_number"):
        setattr(article, name, getattr(fields, name))
    article.body_html = render_markdown(fields.body_md)
    article.updated_at = utcnow()
    _keep_version(article, note or "修改", editor.username)
    db.session.flush()
    record("article_saved", editor, "article", article.id, article.region_code, article.title)
    if article.status == Status.PUBLISHED:
        _published([article])
    db.session.commit()
    return article


def publish(article: Article, editor: User) -> None:
    """:raise PersonalDataFound: with every match, so the editor can remove them."""
    editable(article, editor)
    check_publishable(article.title, article.summary, article.body_md)
    article.status = Status.PUBLISHED
    now = utcnow()
    if article.first_published_at is None:
        _announce(article)
    article.first_published_at = article.first_published_at or now
    _keep_version(article, "发布", editor.username)
    record("article_published", editor, "article", article.id, article.region_code, article.title)
    _published([article])
    db.session.commit()


def unpublish(article: Article, editor: User, reason: str) -> None:
    editable(article, editor)
    if not reason.strip():
        raise ArticleError("请说明撤下的原因", "reason")
    article.status = Status.UNPUBLISHED
    _keep_version(article, f"撤下：{reason.strip()}", editor.username)
    record("article_unpublished", editor, "article", article.id, article.region_code, reason)
    _published([article])
    db.session.commit()


def admin_query(editor: User, kind: Kind | None = None,
                status: Status | None = None) -> Select[tuple[Article]]:
    query = select(Article).where(region_scope(editor, Article.region_code))
    if kind:
        query = query.where(Article.kind == kind)
    if status:
        query = query.where(Article.status == status)
    return query.order_by(Article.updated_at.desc(), Article.id.desc())


# --- public queries ------------------------------------------------------------------------


@dataclass
class Filters:
    category: str | None = None
    level: str | None = None
    region: str | None = None
    year: int | None = None
    include_expired: bool = False
    categories: list[str] = field(default_factory=list)  # the policy guide's several topics


def region_condition(region_code: str) -> Any:
    """Articles about the region, anything beneath it, or any region above it (a provincial
    policy applies in every village)."""
    lo, hi = codes.subtree_bounds(region_code)
    return or_(Article.region_code.between(lo, hi),
               Article.region_code.in_(codes.ancestors_of(region_code)))


def public_query(kind: Kind, filters: Filters, today: date) -> Select[tuple[Article]]:
    return _filtered(select(Article), kind, filters, today)


@dataclass
class ArticleItem:
    """An article as a list shows it: a plain row with its region's name, no body."""

    kind: Kind
    slug: str
    title: str
    summary: str
    category: str
    level: str
    issuer: str
    published_on: date
    expires_on: date | None
    region_name: str

    @property
    def url(self) -> str:
        return f"{self.kind.path}{self.slug}"

    def expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today


#: The columns of a list item, built once.
_ITEMS = select(Article.kind, Article.slug, Article.title, Article.summary, Article.category,
                Article.level, Article.issuer, Article.published_on, Article.expires_on,
                Region.name).join(Region, Region.code == Article.region_code)


def item_query(kind: Kind, filters: Filters, today: date) -> Select[Any]:
    """``public_query`` as the columns of a list item (rows for ``ArticleItem``)."""
    return _filtered(_ITEMS, kind, filters, today)


def _filtered(query: Select[Any], kind: Kind, filters: Filters, today: date) -> Select[Any]:
    query = query.where(Article.kind == kind, Article.status == Status.PUBLISHED)
    if filters.category:
        query = query.where(Article.category == filters.category)
    if filters.categories:
        query = query.where(Article.category.in_(filters.categories))
    if filters.level:
        query = query.where(Article.level == filters.level)
    if filters.region:
        query = query.where(region_condition(filters.region))
    if filters.year:
        query = query.where(extract("year", Article.published_on) == filters.year)
    if not filters.include_expired:
        query = query.where(or_(Article.expires_on.is_(None), Article.expires_on >= today))
    return query.order_by(Article.published_on.desc(), Article.id.desc())


def years(kind: Kind) -> list[int]:
    """The years with a published article of the kind, newest first; kept per worker until
    an article changes (it reads every article)."""
    now = signature((("content", None),))
    kept: dict[Kind, tuple[Hashable, list[int]]]
    kept = current_app.extensions.setdefault("content_years", {})
    found = kept.get(kind)
    if found is None or found[0] != now:
        found = kept[kind] = (now, _years(kind))
    return list(found[1])


def _years(kind: Kind) -> list[int]:
    rows = db.session.execute(select(func.distinct(extract("year", Article.published_on))).where(
        Article.kind == kind, Article.status == Status.PUBLISHED)).scalars()
    return sorted((int(y) for y in rows if y is not None), reverse=True)


def get_public(kind: Kind, slug: str) -> Article | None:
    return db.session.scalar(select(Article).where(
        Article.kind == kind, Article.slug == slug, Article.status == Status.PUBLISHED))


def related(article: Article, limit: int = 5) -> list[Article]:
    """Same topic first, then the same region, newest first."""
    base = select(Article).where(Article.kind == article.kind, Article.id != article.id,
                                 Article.status == Status.PUBLISHED)
    same_topic = list(db.session.execute(
        base.where(Article.category == article.category)
        .order_by(Article.published_on.desc()).limit(limit)).scalars())
    if len(same_topic) < limit:
        taken = [a.id for a in same_topic] or [-1]
        same_topic += list(db.session.execute(
            base.where(Article.region_code == article.region_code, Article.id.not_in(taken))
            .order_by(Article.published_on.desc()).limit(limit - len(same_topic))).scalars())
    return same_topic


def latest(kind: Kind, limit: int = 5) -> list[Article]:
    return list(db.session.execute(select(Article).where(
        Article.kind == kind, Article.status == Status.PUBLISHED)
        .order_by(Article.published_on.desc(), Article.id.desc()).limit(limit)).scalars())
