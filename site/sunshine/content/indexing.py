"""Articles in site search: the source for a full rebuild, the loader of the search outbox,
and the outbox rows each change adds to its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select

from sunshine.content.models import Article, Kind, Status
from sunshine.extensions import db
from sunshine.markup import plain_text
from sunshine.registry import SearchDoc
from sunshine.search.outbox import changed


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


def load_documents(keys: list[str]) -> Iterator[SearchDoc]:
    """The published articles among these ids."""
    query = select(Article).where(Article.id.in_([int(k) for k in keys]),
                                  Article.status == Status.PUBLISHED)
    for article in db.session.execute(query).scalars():
        yield document(article)


def reindex(articles: Iterable[Article]) -> None:
    """Before the commit: published articles are to be (re)indexed, others removed."""
    articles = list(articles)
    changed([f"article:{a.id}" for a in articles if a.status == Status.PUBLISHED],
            [f"article:{a.id}" for a in articles if a.status != Status.PUBLISHED])
