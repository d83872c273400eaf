"""Articles to publish in the search outbox tests, and a check of the outbox's loaders."""

from __future__ import annotations

from datetime import date

from flask import current_app

from sunshine.accounts.models import User
from sunshine.content import services
from sunshine.content.models import Article, Kind
from sunshine.registry import registry
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


def assert_loaders_agree_with_sources() -> None:
    """Every public document a rebuild indexes, the search outbox's loader for its kind gives
    the same."""
    reg = registry()
    with current_app.test_request_context("/"):
        for doc_type, source in sorted(reg.search_sources.items()):
            docs = {doc.id: doc for doc in source()}
            assert docs, f"no {doc_type} document to compare"
            kinds = {doc_id.partition(":")[0] for doc_id in docs}
            for kind in kinds:
                loader = reg.search_loaders.get(kind)
                assert loader is not None, f"{doc_type} documents ({kind}:…) have no loader"
                wanted = {i: d for i, d in docs.items() if i.startswith(f"{kind}:")}
                loaded = {d.id: d for d in loader([i.partition(":")[2] for i in wanted])}
                assert loaded == wanted, f"the {kind} loader differs from the {doc_type} source"
