"""Articles in site search: the source for a full rebuild, and updates after each commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import current_app
from sqlalchemy import select

from sunshine.content.models import Article, Kind, Status
from sunshine.extensions import db
from sunshine.markup import plain_text
from sunshine.registry import SearchDoc
from sunshine.search.index import update


def document(article: Article) -> SearchDoc:
    """Only public fields: title, summary, text, topic, tags, issuer."""
    body = " ".join([article.summary, article.category, " ".join(article.tags or []),
                     article.issuer, article.document_number, plain_text(article.body_html)])
    return SearchDoc(id=f"article:{article.id}",
                     type="news" if article.kind is Kind.NEWS else "policy",
                     title=article.title, body=body, url=article.url,
                     region_code=article.region_code, date=article.published_on.isoformat())


def _published(kind: Kind) -> Iterator[SearchDoc]:
    query = select(Article).where(Article.kind == kind, Article.status == Status.PUBLISHED)
    for article in db.session.execute(query).scalars():
        yield document(article)


def news_documents() -> Iterator[SearchDoc]:
    return _published(Kind.NEWS)


def policy_documents() -> Iterator[SearchDoc]:
    return _published(Kind.POLICY)


def reindex(articles: Iterable[Article]) -> None:
    """Called after the database commit: published articles are (re)indexed, others removed."""
    articles = list(articles)
    if not articles:
        return
    update(current_app.config["SEARCH_INDEX_DIR"],
           [document(a) for a in articles if a.status == Status.PUBLISHED],
           [f"article:{a.id}" for a in articles if a.status != Status.PUBLISHED])
