"""Notices in site search: title, kind, region and the body text. Entries are left out on
purpose: even masked, a list of households is not something to find by typing a surname."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.markup import plain_text
from sunshine.registry import SearchDoc
from sunshine.search.outbox import changed

if TYPE_CHECKING:
    from sunshine.notices.models import Notice


def document(notice: Notice) -> SearchDoc:
    body = " ".join([notice.kind.label, notice.region.name, plain_text(notice.body_html)])
    published = notice.published_at.date().isoformat() if notice.published_at else ""
    return SearchDoc(id=f"notice:{notice.id}", type="notice", title=notice.title, body=body,
                     url=notice.url, region_code=notice.region_code, date=published)


def _is_public(notice: Notice) -> bool:
    return notice.published_at is not None and notice.withdrawn_at is None


def notice_documents() -> Iterator[SearchDoc]:
    from sunshine.notices.models import Notice

    rows = db.session.execute(select(Notice).where(
        Notice.published_at.is_not(None), Notice.withdrawn_at.is_(None)).order_by(Notice.id))
    for notice in rows.scalars():
        yield document(notice)


def load_documents(keys: list[str]) -> Iterator[SearchDoc]:
    """The public notices among these ids."""
    from sunshine.notices.models import Notice

    rows = db.session.execute(select(Notice).where(
        Notice.id.in_([int(k) for k in keys]), Notice.published_at.is_not(None),
        Notice.withdrawn_at.is_(None)))
    for notice in rows.scalars():
        yield document(notice)


def reindex(notices: Iterable[Notice]) -> None:
    """Before the commit: public notices are to be (re)indexed, the others removed."""
    notices = list(notices)
    changed([f"notice:{n.id}" for n in notices if _is_public(n)],
            [f"notice:{n.id}" for n in notices if not _is_public(n)])
