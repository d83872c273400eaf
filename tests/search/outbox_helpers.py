"""Articles to publish in the search outbox tests."""

from __future__ import annotations

from datetime import date

from sunshine.accounts.models import User
from sunshine.content import services
from sunshine.content.models import Article, Kind
from tests.conftest import SAMPLE
from tests.factories import make_user


def editor() -> User:
    return make_user("editor-outbox", role="editor", region_code=SAMPLE["county"])


def draft(author: User, title: str, slug: str, body: str = "村里修通了硬化路。") -> Article:
    """A draft news article (not in search until published)."""
    fields = services.ArticleFields(
        kind=Kind.NEWS, title=title, slug=slug, summary="摘要", body_md=body,
        category="工作动态", level="县", region_code=SAMPLE["county"], issuer="扶贫办",
        published_on=date(2026, 11, 28))
    return services.save_article(author, fields)
