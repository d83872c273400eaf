"""Published allocations in site search: the source for a rebuild, the loader of the search
outbox, and the outbox rows each change adds to its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select

from sunshine.extensions import db
from sunshine.funds.models import Fund
from sunshine.records.models import State
from sunshine.registry import SearchDoc
from sunshine.search.outbox import changed


def document(fund: Fund) -> SearchDoc:
    """Only public fields: the name, document number, issuer, type, purpose and region."""
    body = " ".join([fund.document_number, fund.issuer, fund.source_level, fund.fund_type,
                     f"{fund.year}年", fund.region.name if fund.region else "", fund.purpose])
    return SearchDoc(id=f"fund:{fund.id}", type="fund", title=fund.name, body=body,
                     url=fund.url, region_code=fund.region_code,
                     date=fund.issued_on.isoformat())


def fund_documents() -> Iterator[SearchDoc]:
    query = select(Fund).where(Fund.state == State.PUBLISHED.value).order_by(Fund.id)
    for fund in db.session.execute(query.execution_options(yield_per=1000)).scalars():
        yield document(fund)


def load_documents(keys: list[str]) -> Iterator[SearchDoc]:
    """The published funds among these ids."""
    query = select(Fund).where(Fund.id.in_([int(k) for k in keys]),
                               Fund.state == State.PUBLISHED.value)
    for fund in db.session.execute(query).scalars():
        yield document(fund)


def reindex_funds(funds: Iterable[Fund]) -> None:
    """Before the commit: published funds are to be (re)indexed, withdrawn ones removed."""
    funds = list(funds)
    changed([f"fund:{f.id}" for f in funds if f.state == State.PUBLISHED.value],
            [f"fund:{f.id}" for f in funds if f.state != State.PUBLISHED.value])
