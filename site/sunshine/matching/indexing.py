"""Public needs in site search: title, category, village, story and the names of the goods.

Never the household, its members or a donor's contact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.registry import SearchDoc
from sunshine.search.outbox import changed

if TYPE_CHECKING:
    from sunshine.matching.models import Need


def document(need: Need) -> SearchDoc:
    body = " ".join([need.category, need.urgency_label, need.village.name, need.story,
                     " ".join(item.name for item in need.items)])
    published = need.published_at.date().isoformat() if need.published_at else ""
    return SearchDoc(id=f"need:{need.id}", type="need", title=need.title, body=body,
                     url=need.url, region_code=need.village_code, date=published)


def _public(need: Need) -> bool:
    from sunshine.matching.models import PUBLIC_STATES

    return need.state in [s.value for s in PUBLIC_STATES]


def need_documents() -> Iterator[SearchDoc]:
    from sunshine.matching.models import PUBLIC_STATES, Need

    rows = db.session.execute(select(Need).where(
        Need.state.in_([s.value for s in PUBLIC_STATES])).order_by(Need.id))
    for need in rows.scalars():
        yield document(need)


def load_documents(keys: list[str]) -> Iterator[SearchDoc]:
    """The public needs among these ids."""
    from sunshine.matching.models import PUBLIC_STATES, Need

    rows = db.session.execute(select(Need).where(
        Need.id.in_([int(k) for k in keys]), Need.state.in_([s.value for s in PUBLIC_STATES])))
    for need in rows.scalars():
        yield document(need)


def reindex(needs: Iterable[Need]) -> None:
    """Before the commit: public needs are to be (re)indexed, the others removed."""
    needs = list(needs)
    changed([f"need:{n.id}" for n in needs if _public(n)],
            [f"need:{n.id}" for n in needs if not _public(n)])
